import 'reflect-metadata';
import { runMain } from '@keyward/platform';
import { startKms } from './start-kms';

runMain(() => startKms(process.env));
