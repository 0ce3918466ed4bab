import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError } from '@keyward/contracts';
import { LOGGER, parsePayload } from '@keyward/platform';
import { type Location, workspaceCrn } from '../common/locations';
import { open, seal } from '../encryption/workspace-cipher';
import { type RootKeyChoice, WorkspaceKeys } from '../encryption/workspace-keys';
import { KmsSettingsService } from '../kms-settings/kms-settings.service';
import { SCHEMATICS_DEFAULT_KEY, type DefaultKey } from './default-key';
import { createWorkspaceBody, stateBody, updateWorkspaceBody, type VariableInput } from './workspace-input';
import { type StoredVariable, type WorkspaceRecord, WorkspaceRepository } from './workspace.repository';

/**
 * Workspaces. Sensitive variables and the state file are sealed under the workspace DEK (AAD = its
 * CRN) before they reach the repository; the DEK is wrapped by the location's KMS settings (primary and
 * secondary) or, without settings, by Schematics' own root key. Values never go to logs or errors.
 */
@Injectable()
export class WorkspacesService {
  constructor(
    private readonly repository: WorkspaceRepository,
    private readonly keys: WorkspaceKeys,
    private readonly settings: KmsSettingsService,
    @Inject(SCHEMATICS_DEFAULT_KEY) private readonly defaultKey: DefaultKey,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(accountId: string, body: unknown): Promise<WorkspaceRecord> {
    const input = parsePayload(createWorkspaceBody, body);
    const id = `${input.location}-${randomUUID()}`;
    const crn = workspaceCrn(input.location, accountId, id);
    const rootKeys = await this.rootKeys(accountId, input.location);
    const { dek, dataKeys } = await this.keys.create(rootKeys, crn);
    try {
      const record = await this.repository.create({
        id,
        crn,
        accountId,
        location: input.location,
        name: input.name,
        resourceGroupId: input.resource_group,
        templateSource: input.template_source,
        variables: sealVariables(dek, input.variables, crn),
        stateSealed: null,
        dataKeys,
        keySource: rootKeys[0]?.role === 'default' ? 'default' : 'settings',
      });
      this.logger.info({ workspaceId: id, accountId, location: input.location, keys: dataKeys.map((k) => k.role) }, 'workspace created');
      return record;
    } finally {
      dek.fill(0);
    }
  }

  list(accountId: string): Promise<WorkspaceRecord[]> {
    return this.repository.list(accountId);
  }

  async get(accountId: string, id: string): Promise<WorkspaceRecord> {
    const workspace = await this.repository.find(accountId, id);
    if (!workspace) throw new DomainError('NOT_FOUND_ERR', `Workspace ${id} does not exist`);
    return workspace;
  }

  async update(accountId: string, id: string, body: unknown): Promise<WorkspaceRecord> {
    const input = parsePayload(updateWorkspaceBody, body);
    const workspace = await this.get(accountId, id);
    const variables = input.variables ? await this.withDek(workspace, (dek) => sealVariables(dek, input.variables ?? [], workspace.crn)) : undefined;
    return this.repository.update(id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.template_source !== undefined ? { templateSource: input.template_source } : {}),
      ...(variables ? { variables } : {}),
    });
  }

  async delete(accountId: string, id: string): Promise<void> {
    const workspace = await this.get(accountId, id);
    await this.repository.delete(id);
    await this.keys.unregister(workspace.dataKeys, workspace.crn);
    this.logger.info({ workspaceId: id, accountId }, 'workspace deleted');
  }

  /** Every variable with its value, sensitive ones decrypted (through the primary key or its fallback). */
  async variables(accountId: string, id: string): Promise<{ name: string; value: string; secure: boolean }[]> {
    const workspace = await this.get(accountId, id);
    return this.withDek(workspace, (dek) =>
      workspace.variables.map((v) => ({ name: v.name, secure: v.sensitive, value: v.sensitive ? open(dek, v.sealed ?? '', workspace.crn) : (v.value ?? '') })),
    );
  }

  async writeState(accountId: string, id: string, body: unknown): Promise<void> {
    const { state } = parsePayload(stateBody, body);
    const workspace = await this.get(accountId, id);
    const stateSealed = await this.withDek(workspace, (dek) => seal(dek, state, workspace.crn));
    await this.repository.update(id, { stateSealed });
  }

  async readState(accountId: string, id: string): Promise<string> {
    const workspace = await this.get(accountId, id);
    if (workspace.stateSealed === null) throw new DomainError('NOT_FOUND_ERR', `Workspace ${id} has no state file yet`);
    const sealed = workspace.stateSealed;
    return this.withDek(workspace, (dek) => open(dek, sealed, workspace.crn));
  }

  private async withDek<T>(workspace: WorkspaceRecord, use: (dek: Buffer) => T): Promise<T> {
    const dek = await this.keys.open(workspace.dataKeys, workspace.crn);
    try {
      return use(dek);
    } finally {
      dek.fill(0);
    }
  }

  /** The location's primary (and secondary) keys, else Schematics' own root key. */
  private async rootKeys(accountId: string, location: Location): Promise<RootKeyChoice[]> {
    const setting = await this.settings.find(accountId, location);
    if (setting) {
      return [
        { role: 'primary', keyCrn: setting.primary.keyCrn, endpoint: setting.primary.endpoint },
        ...(setting.secondary ? [{ role: 'secondary' as const, keyCrn: setting.secondary.keyCrn, endpoint: setting.secondary.endpoint }] : []),
      ];
    }
    const own = await this.defaultKey.keyCrn();
    return [{ role: 'default', keyCrn: own }];
  }
}

function sealVariables(dek: Buffer, variables: readonly VariableInput[], crn: string): StoredVariable[] {
  return variables.map((v) => (v.secure ? { name: v.name, sensitive: true, sealed: seal(dek, v.value, crn) } : { name: v.name, sensitive: false, value: v.value }));
}

/** The API's view: sensitive values are never returned here (see GET …/variables). */
export function workspaceView(workspace: WorkspaceRecord) {
  return {
    id: workspace.id,
    crn: workspace.crn,
    name: workspace.name,
    location: workspace.location,
    resource_group: workspace.resourceGroupId,
    template_source: workspace.templateSource,
    variables: workspace.variables.map((v) => ({ name: v.name, secure: v.sensitive, ...(v.sensitive ? {} : { value: v.value ?? '' }) })),
    has_state: workspace.stateSealed !== null,
    encryption: workspace.dataKeys.map((k) => ({ role: k.role, key_crn: k.keyCrn, key_version: k.keyVersionId })),
    created_at: workspace.createdAt.toISOString(),
    updated_at: workspace.updatedAt.toISOString(),
  };
}
