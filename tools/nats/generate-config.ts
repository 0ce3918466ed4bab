// `npm run nats:config`: writes deploy/nats/nats-server.conf from the subject table in libs/contracts.
// Run it after changing SUBJECT_TABLE or STREAMS; libs/stack's test fails until the file is regenerated.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATS_SERVER_CONFIG_PATH, renderNatsServerConfig } from '@keyward/stack';

const target = join(__dirname, '..', '..', NATS_SERVER_CONFIG_PATH);
writeFileSync(target, renderNatsServerConfig());
console.log(`wrote ${NATS_SERVER_CONFIG_PATH}`);
