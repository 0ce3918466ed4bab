import 'reflect-metadata';
import { runMain } from '@keyward/platform';
import { startDbaas } from './start-dbaas';

runMain(() => startDbaas(process.env));
