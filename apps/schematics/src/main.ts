import 'reflect-metadata';
import { runMain } from '@keyward/platform';
import { startSchematics } from './start-schematics';

runMain(() => startSchematics(process.env));
