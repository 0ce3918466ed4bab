import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { GUID_PATTERN, type ServiceInstance } from '@keyward/contracts';
import { type AuthenticatedCaller, Authenticated, Caller, KeywardAuthGuard } from '@keyward/platform';
import { RegistryService } from './registry.service';

/** IBM's resource-controller shape: `id` is the CRN. */
function view(instance: ServiceInstance) {
  return { ...instance, id: instance.crn };
}

@Controller('v2/resource_instances')
@UseGuards(KeywardAuthGuard)
@Authenticated()
export class RegistryController {
  constructor(private readonly registry: RegistryService) {}

  @Post()
  @HttpCode(201)
  async create(@Caller() caller: AuthenticatedCaller, @Body() body: unknown) {
    return view(await this.registry.create(caller, body));
  }

  @Get()
  async list(@Caller() caller: AuthenticatedCaller, @Query() query: unknown) {
    const resources = (await this.registry.list(caller, query)).map(view);
    return { rows_count: resources.length, next_url: null, resources };
  }

  @Get(':guid')
  async get(@Caller() caller: AuthenticatedCaller, @Param('guid') guid: string) {
    return view(await this.registry.get(caller, GUID_PATTERN.test(guid) ? guid : '00000000-0000-0000-0000-000000000000'));
  }

  @Delete(':guid')
  @HttpCode(204)
  async delete(@Caller() caller: AuthenticatedCaller, @Param('guid') guid: string): Promise<void> {
    await this.registry.delete(caller, GUID_PATTERN.test(guid) ? guid : '00000000-0000-0000-0000-000000000000');
  }
}
