-- A deleted service instance stays as a tombstone (state 'removed', removed_at set) so
-- rpc.iam.instance.get.v1 can say "it existed and was removed" (docs/IAM.md "Removed instances").
ALTER TABLE "service_instances" ADD COLUMN "removed_at" TIMESTAMP(3);
