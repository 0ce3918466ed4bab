import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '@keyward/contracts';
import { type AuthenticatedCaller, Authenticated, Caller, KeywardAuthGuard, parsePayload } from '@keyward/platform';
import { AuthzService } from '../authz/authz.service';
import { IAM_SERVICE, isAllowed, requireAllowed } from '../common/caller-checks';
import { IdentityRepository } from '../identity/identity.repository';

const createGroupBody = z.object({ name: z.string().trim().min(1).max(40).regex(/^[A-Za-z0-9 _-]+$/, 'may hold letters, digits, spaces, _ and -') }).strict();

function view(group: { id: string; accountId: string; name: string; isDefault: boolean; createdAt: Date }) {
  return { id: group.id, name: group.name, account_id: group.accountId, default: group.isDefault, created_at: group.createdAt.toISOString() };
}

/** Resource groups of the caller's account (`Default` always exists). */
@Controller('v2/resource_groups')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class ResourceGroupsController {
  constructor(
    private readonly identities: IdentityRepository,
    private readonly authz: AuthzService,
  ) {}

  @Get()
  async list(@Caller() caller: AuthenticatedCaller) {
    const accountId = caller.principal.accountId;
    if (!(await isAllowed(this.authz, caller, 'resource-controller.group.read', { serviceName: IAM_SERVICE, accountId }))) return { resources: [] };
    return { resources: (await this.identities.listResourceGroups(accountId)).map(view) };
  }

  @Post()
  @HttpCode(201)
  async create(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    const input = parsePayload(createGroupBody, body);
    const accountId = caller.principal.accountId;
    await requireAllowed(this.authz, caller, 'resource-controller.group.create', { serviceName: IAM_SERVICE, accountId });
    if (await this.identities.findResourceGroupByName(accountId, input.name)) throw new DomainError('CONFLICT_ERR', 'A resource group with this name already exists');
    return view(await this.identities.createResourceGroup({ id: randomBytes(16).toString('hex'), accountId, name: input.name }));
  }
}
