import { Injectable } from '@nestjs/common';
import { DomainError } from '@keyward/contracts';
import { FlagRepository } from '../flags/flag.repository';
import { segmentIdsOf } from '../flags/flag-definition';
import { SegmentProtection } from '../integrations/segment-protection';
import { type SegmentRow, SegmentRepository } from './segment.repository';
import { type SegmentRule, parseSegmentRules } from './segment-rules';

export interface SegmentView {
  segment_id: string;
  name: string;
  description: string;
  rules: SegmentRule[];
  updated_time: string;
}

/** Segments: validated rules, stored in plaintext or, with a Key Management integration, only as ciphertext. */
@Injectable()
export class SegmentsService {
  constructor(
    private readonly segments: SegmentRepository,
    private readonly flags: FlagRepository,
    private readonly protection: SegmentProtection,
  ) {}

  async list(instanceGuid: string): Promise<SegmentView[]> {
    const rows = await this.segments.list(instanceGuid);
    return Promise.all(rows.map(async (row) => view(row, await this.rulesOf(row))));
  }

  async get(instanceGuid: string, segmentId: string): Promise<SegmentView> {
    const row = await this.segments.find(instanceGuid, segmentId);
    if (!row) throw new DomainError('NOT_FOUND_ERR', `Segment ${segmentId} does not exist`);
    return view(row, await this.rulesOf(row));
  }

  async write(instanceGuid: string, input: { segmentId: string; name: string; description: string; rules: unknown }, mode: 'create' | 'replace'): Promise<SegmentView> {
    const rules = parseSegmentRules(input.rules);
    const row = await this.segments.write(instanceGuid, { ...input, rules }, mode, async (integration, segmentId, plain) =>
      integration ? { rulesCiphertext: await this.protection.seal(integration, segmentId, plain) } : { rules: plain },
    );
    return view(row, rules);
  }

  /** A segment a feature or property uses cannot go: 409 naming them. */
  async remove(instanceGuid: string, segmentId: string): Promise<void> {
    const users = (await this.flags.listAll(instanceGuid)).filter((flag) => segmentIdsOf(flag.segmentRules).includes(segmentId));
    if (users.length > 0) {
      throw new DomainError('CONFLICT_ERR', `Segment ${segmentId} is used by ${users.map((flag) => `${flag.kind} ${flag.id} (${flag.environmentId})`).join(', ')}`);
    }
    if (!(await this.segments.remove(instanceGuid, segmentId))) throw new DomainError('NOT_FOUND_ERR', `Segment ${segmentId} does not exist`);
  }

  /** The rules of the given segments (evaluation); missing ids are simply absent. */
  async rulesByIds(instanceGuid: string, segmentIds: readonly string[]): Promise<Map<string, SegmentRule[]>> {
    if (segmentIds.length === 0) return new Map();
    const rows = await this.segments.listByIds(instanceGuid, segmentIds);
    return new Map(await Promise.all(rows.map(async (row) => [row.segmentId, await this.rulesOf(row)] as const)));
  }

  async existingIds(instanceGuid: string, segmentIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.segments.listByIds(instanceGuid, segmentIds)).map((row) => row.segmentId));
  }

  private async rulesOf(row: SegmentRow): Promise<SegmentRule[]> {
    if (row.rulesCiphertext === null) return row.rules as SegmentRule[];
    const integration = await this.protection.integrationOf(row.instanceGuid);
    if (!integration) throw new DomainError('INTERNAL_ERR', 'An encrypted segment has no Key Management integration');
    return (await this.protection.open(integration, row.segmentId, row.rulesCiphertext)) as SegmentRule[];
  }
}

function view(row: SegmentRow, rules: SegmentRule[]): SegmentView {
  return { segment_id: row.segmentId, name: row.name, description: row.description, rules, updated_time: row.updatedAt.toISOString() };
}
