import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * The driver adapter the Prisma CLI (migrate, introspection) uses. Only for prisma.config.ts:
 * the apps' runtime clients are built in libs/platform prisma-service.ts without this type patch.
 *
 * Workaround for prisma/orm#27403: the wasm schema engine reads catalog columns of type `name`
 * (OID 19) and friends, which adapter-pg 6.x cannot deserialize ("Column type 'name' could not be
 * deserialized"). Reporting those OIDs as text / text[] lets migrate run.
 */
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;
const AS_TEXT = new Set([18, 19, 24, 194, 2205, 2206]);
const AS_TEXT_ARRAY = new Set([1002, 1003]);

let patched = false;
function patchCatalogTypesForMigrations(): void {
  if (patched) return;
  patched = true;
  const proto = pg.Result.prototype as unknown as { addFields(fields: { dataTypeID: number }[]): void };
  const addFields = proto.addFields;
  proto.addFields = function (this: unknown, fields) {
    for (const field of fields) {
      if (AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
      else if (AS_TEXT_ARRAY.has(field.dataTypeID)) field.dataTypeID = TEXT_ARRAY_OID;
    }
    return addFields.call(this, fields);
  };
}

export function migrationAdapter(): PrismaPg {
  patchCatalogTypesForMigrations();
  const connectionString = process.env['DATABASE_URL'];
  if (!connectionString) throw new Error('DATABASE_URL must be set for Prisma migrations');
  return new PrismaPg({ connectionString, idleTimeoutMillis: 50 });
}
