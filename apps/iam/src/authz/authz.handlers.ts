import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type AuthzCheckResponse, IAM_SUBJECTS, authzCheckBatchRequestSchema, authzCheckRequestSchema } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import { AuthzService } from './authz.service';

/** `rpc.iam.authz.check.v1` and `check-batch` (answers in request order). */
@Controller()
export class AuthzHandlers {
  constructor(private readonly authz: AuthzService) {}

  @MessagePattern(IAM_SUBJECTS.authzCheck)
  check(@Payload() payload: unknown): Promise<AuthzCheckResponse> {
    return this.authz.check(parsePayload(authzCheckRequestSchema, payload));
  }

  @MessagePattern(IAM_SUBJECTS.authzCheckBatch)
  checkBatch(@Payload() payload: unknown): Promise<AuthzCheckResponse[]> {
    return this.authz.checkBatch(parsePayload(authzCheckBatchRequestSchema.max(1000), payload));
  }
}
