import type { Command } from 'commander';
import { CliError, EXIT } from '../../cli-error';
import type { HttpMethod, HttpResponse } from '../../http/http-client';
import type { CallOptions } from '../../session/auth-session';
import { AuthSession } from '../../session/auth-session';
import type { CommandEnv } from '../command-kit';
import { resolveInstanceGuid } from '../resource/service-instance.commands';

/** Key Protect's media types (KEY-PROTECT-API.md §1): the envelope's collectionType and a resource's type. */
export const KP_TYPES = {
  key: 'application/vnd.ibm.kms.key+json',
  policy: 'application/vnd.ibm.kms.policy+json',
} as const;

/** The `{metadata, resources}` envelope every Key Protect collection and most bodies use. */
export function kpEnvelope(collectionType: string, resources: readonly unknown[]): { metadata: { collectionType: string; collectionTotal: number }; resources: unknown[] } {
  return { metadata: { collectionType, collectionTotal: resources.length }, resources: [...resources] };
}

export interface KpCollection<T> {
  metadata?: { collectionType?: string; collectionTotal?: number };
  resources?: T[];
}

export interface KpRequest {
  method: HttpMethod;
  /** Under /api/v2, e.g. `/keys`. */
  path: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
}

/** What to do next for the KMS's predictable refusals, in the user's words (docs/CLI.md "kp"). */
function kpHint(code: string | undefined, instance: string): string | undefined {
  switch (code) {
    case 'KEY_NOT_FOUND_ERR':
      return `List the instance's keys with \`keyward kp keys -i ${instance}\` (add -e destroyed for deleted ones)`;
    case 'DOMAIN_SEALED_ERR':
      return `The instance's crypto unit is sealed: its custodians unseal it with \`keyward hpcs unseal -i <hs-crypto instance>\``;
    case 'REQ_TOO_EARLY_ERR':
      return 'Key Protect waits between these steps (30 s after disable or delete, 4 h before purge): try again later';
    case 'KEY_ROTATION_NOT_PERMITTED':
      return 'A key rotates at most once an hour: try again later';
    case 'KEY_ACTION_INVALID_STATE_ERR':
      return `Check the key's state with \`keyward kp key show <key> -i ${instance}\``;
    case 'KEY_ROOT_REQ_ERR':
      return 'Only root keys wrap, unwrap, rotate and disable: create one without --standard-key';
    case 'PROTECTED_RESOURCE_ERR':
      return `Resources registered this key: see \`keyward kp registrations -i ${instance} -k <key>\`; add --override-registrations to delete it anyway`;
    case 'AUTHORIZATIONS_NOT_MET':
      return `The key needs dual authorization: another Manager first runs \`keyward kp key schedule-delete <key> -i ${instance}\``;
    case 'IMPORT_TOKEN_EXPIRED_ERR':
      return `Create a new import token: \`keyward kp import-token create -i ${instance}\``;
    case 'UNAUTHORIZED_ERR':
      return `Your identity may not do this on instance ${instance} (or it does not exist). Ask an account administrator for a role on it (\`keyward iam user-policy-create <iam_id> --roles Manager --service-instance <guid>\`)`;
    default:
      return undefined;
  }
}

/**
 * Calls to one Key Protect instance: `Bluemix-Instance` on every call, paths under /api/v2, and the
 * KMS's error codes turned into next steps. Token renewal and exit codes come from AuthSession.
 */
export class KpClient {
  private constructor(
    readonly session: AuthSession,
    /** The instance GUID (`-i` may also be given as a name or CRN). */
    readonly instance: string,
    private readonly instanceArg: string,
  ) {}

  static async open(env: CommandEnv, instanceArg: string): Promise<KpClient> {
    const session = AuthSession.load(env.context);
    const guid = await resolveInstanceGuid(session, instanceArg);
    return new KpClient(session, guid, instanceArg);
  }

  async call<T = unknown>(request: KpRequest, options: CallOptions = {}): Promise<HttpResponse<T>> {
    try {
      return await this.session.call<T>(
        'kms',
        { method: request.method, path: `/api/v2${request.path}`, query: request.query, json: request.json, headers: { 'bluemix-instance': this.instance, ...request.headers } },
        { renewOnUnauthorized: true, ...options },
      );
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      // A caller's own not-found hint is more precise than the generic one.
      const hint = error.code === 'KEY_NOT_FOUND_ERR' && options.notFoundHint ? options.notFoundHint : kpHint(error.code, this.instanceArg);
      if (!hint) throw error;
      throw new CliError(error.exitCode, error.message, hint, error.code, error.requestId);
    }
  }

  /** The first resource of an envelope answer (create, show, restore). */
  static first<T>(response: HttpResponse<KpCollection<T>>): T {
    const resource = response.body?.resources?.[0];
    if (resource === undefined) throw new CliError(EXIT.unavailable, 'kms: the answer holds no resource', 'Retry; if it persists, give the request id to the operator', undefined, response.requestId);
    return resource;
  }
}

/** `-i, --instance-id` as `ibmcloud kp` spells it: required on every `kp` command. */
export function withInstance(command: Command): Command {
  return command.requiredOption('-i, --instance-id <instance>', 'the Key Protect (or hs-crypto) instance: GUID, name or CRN');
}

/** A key id or alias in a path. */
export function keyPath(key: string, suffix = ''): string {
  return `/keys/${encodeURIComponent(key)}${suffix}`;
}
