import 'reflect-metadata';
import { runMain } from '@keyward/platform';
import { startAppConfiguration } from './start-app-configuration';

runMain(() => startAppConfiguration(process.env));
