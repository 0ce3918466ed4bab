import 'reflect-metadata';
import { runMain } from '@keyward/platform';
import { startIam } from './start-iam';

runMain(() => startIam(process.env));
