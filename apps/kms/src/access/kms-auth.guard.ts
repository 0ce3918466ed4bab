import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { DomainError, HEADERS } from '@keyward/contracts';
import { KeywardAuthGuard } from '@keyward/platform';
import { NetworkAdmission } from '../instance-policies/network-admission';
import { InstancesService } from '../instances/instances.service';
import type { KmsInstance } from '../instances/instance.repository';
import { requestedKeyRing } from '../key-rings/key-ring-rules';
import type { KmsRequest } from './kms-request';

/** Any authentication failure reads as Key Protect's one 401 (KEY-PROTECT-API.md §1): the caller learns nothing more. */
const AS_UNAUTHORIZED = new Set(['TOKEN_EXPIRED_ERR', 'TOKEN_INVALID_ERR', 'SOURCE_CRN_MISMATCH_ERR', 'UNAUTHORIZED_ERR']);

/**
 * The platform guard (token, source CRN, `@Authenticated`/`@Authorize`), then the instance of
 * `Bluemix-Instance`. Per-action decisions need the key's attributes, so handlers ask KmsAccess.
 */
@Injectable()
export class KmsAuthGuard implements CanActivate {
  constructor(
    private readonly platform: KeywardAuthGuard,
    private readonly instances: InstancesService,
    private readonly network: NetworkAdmission,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KmsRequest>();
    try {
      await this.platform.canActivate(context);
    } catch (error) {
      if (error instanceof DomainError && AS_UNAUTHORIZED.has(error.code)) throw new DomainError('UNAUTHORIZED_ERR', undefined, { cause: error });
      throw error;
    }
    // /crypto_v1 names the instance in its path; the Key Protect API in Bluemix-Instance.
    const fromPath = request.url.startsWith('/crypto_v1/') ? (request.params as { id?: string }).id : undefined;
    const instance = await this.instances.resolve(fromPath ?? request.headers[HEADERS.bluemixInstance]);
    // Instance policies: allowedNetwork / allowedIP refuse the call here; the rest ride along on the instance.
    const admitted = await this.network.admit(request, instance);
    const keyRing = requestedKeyRing(request.headers[HEADERS.keyRing]);
    request.kmsInstance = keyRing ? { ...admitted, requestKeyRing: keyRing } : admitted;
    return true;
  }
}

/** The instance the guard resolved from Bluemix-Instance. */
export const Instance = createParamDecorator((_data: unknown, context: ExecutionContext): KmsInstance => {
  const instance = context.switchToHttp().getRequest<KmsRequest>().kmsInstance;
  if (!instance) throw new DomainError('UNAUTHORIZED_ERR');
  return instance;
});
