import 'reflect-metadata';
import { runMain } from '@keyward/platform';
import { startHsm } from './start-hsm';

runMain(() => startHsm(process.env));
