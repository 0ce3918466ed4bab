import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from '@keyward/contracts';
import { parsePayload } from '@keyward/platform';
import { CatalogRepository } from '../catalog/catalog.repository';
import { type Evaluation, evaluateFlag } from '../evaluation/flag-evaluator';
import { SegmentsService } from '../segments/segments.service';
import { type FlagDefinition, type FlagKind, assertValuesMatchType, featureInputSchema, propertyInputSchema, segmentIdsOf } from './flag-definition';
import { FlagRepository, type StoredFlag } from './flag.repository';

const evaluationInputSchema = z.object({
  entity_id: z.string().min(1).max(256),
  entity_attributes: z.record(z.string(), z.union([z.string().max(1024), z.number(), z.boolean()])).default({}),
});

/** Features and properties of one environment: validation, storage, evaluation. */
@Injectable()
export class FlagsService {
  constructor(
    private readonly flags: FlagRepository,
    private readonly catalog: CatalogRepository,
    private readonly segments: SegmentsService,
  ) {}

  async list(instanceGuid: string, environmentId: string, kind: FlagKind): Promise<Record<string, unknown>[]> {
    await this.environment(instanceGuid, environmentId);
    return (await this.flags.list(instanceGuid, environmentId, kind)).map(view);
  }

  async get(instanceGuid: string, environmentId: string, kind: FlagKind, flagId: string): Promise<Record<string, unknown>> {
    return view(await this.find(instanceGuid, environmentId, kind, flagId));
  }

  async write(instanceGuid: string, environmentId: string, kind: FlagKind, body: unknown, mode: 'create' | 'replace', pathId?: string): Promise<Record<string, unknown>> {
    await this.environment(instanceGuid, environmentId);
    const flag = toDefinition(kind, body);
    if (pathId !== undefined && flag.id !== pathId) {
      throw new DomainError('INVALID_FIELD_ERR', `${kind}_id must equal the id in the path`, { target: { type: 'field', name: `${kind}_id` } });
    }
    const collections = new Set((await this.catalog.list('collection', instanceGuid)).map((entry) => entry.id));
    const unknownCollection = flag.collections.find((id) => !collections.has(id));
    if (unknownCollection) throw new DomainError('INVALID_FIELD_ERR', `Collection ${unknownCollection} does not exist`, { target: { type: 'field', name: 'collections' } });
    const wanted = segmentIdsOf(flag.segmentRules);
    const existing = await this.segments.existingIds(instanceGuid, wanted);
    const unknownSegment = wanted.find((id) => !existing.has(id));
    if (unknownSegment) throw new DomainError('INVALID_FIELD_ERR', `Segment ${unknownSegment} does not exist`, { target: { type: 'field', name: 'segment_rules' } });
    return view(await this.flags.write(instanceGuid, environmentId, flag, mode));
  }

  async remove(instanceGuid: string, environmentId: string, kind: FlagKind, flagId: string): Promise<void> {
    if (!(await this.flags.remove(instanceGuid, environmentId, kind, flagId))) throw new DomainError('NOT_FOUND_ERR', `The ${kind} ${flagId} does not exist`);
  }

  /** The value for one entity. Segment rules are read (decrypted) only when the flag uses segments. */
  async evaluate(instanceGuid: string, environmentId: string, kind: FlagKind, flagId: string, body: unknown): Promise<Record<string, unknown>> {
    const input = parsePayload(evaluationInputSchema, body);
    const flag = await this.find(instanceGuid, environmentId, kind, flagId);
    const segments = await this.segments.rulesByIds(instanceGuid, flag.enabled ? segmentIdsOf(flag.segmentRules) : []);
    const result: Evaluation = evaluateFlag(flag, { id: input.entity_id, attributes: input.entity_attributes }, segments);
    return {
      [`${kind}_id`]: flag.id,
      entity_id: input.entity_id,
      type: flag.type,
      value: result.value,
      reason: result.reason,
      ...(result.segmentRuleOrder !== undefined ? { segment_rule_order: result.segmentRuleOrder } : {}),
    };
  }

  private async find(instanceGuid: string, environmentId: string, kind: FlagKind, flagId: string): Promise<StoredFlag> {
    await this.environment(instanceGuid, environmentId);
    const flag = await this.flags.find(instanceGuid, environmentId, kind, flagId);
    if (!flag) throw new DomainError('NOT_FOUND_ERR', `The ${kind} ${flagId} does not exist in environment ${environmentId}`);
    return flag;
  }

  private async environment(instanceGuid: string, environmentId: string): Promise<void> {
    if (!(await this.catalog.find('environment', instanceGuid, environmentId))) throw new DomainError('NOT_FOUND_ERR', `Environment ${environmentId} does not exist`);
  }
}

function toDefinition(kind: FlagKind, body: unknown): FlagDefinition {
  if (kind === 'feature') {
    const input = parsePayload(featureInputSchema, body);
    assertValuesMatchType(input.type, [
      { field: 'enabled_value', value: input.enabled_value },
      { field: 'disabled_value', value: input.disabled_value },
      ...input.segment_rules.map((rule, index) => ({ field: `segment_rules.${index}.value`, value: rule.value })),
    ]);
    return {
      kind,
      id: input.feature_id,
      name: input.name,
      type: input.type,
      enabled: input.enabled,
      enabledValue: input.enabled_value,
      disabledValue: input.disabled_value,
      rolloutPercentage: input.rollout_percentage,
      segmentRules: input.segment_rules,
      collections: input.collections.map((collection) => collection.collection_id),
    };
  }
  const input = parsePayload(propertyInputSchema, body);
  assertValuesMatchType(input.type, [
    { field: 'value', value: input.value },
    ...input.segment_rules.map((rule, index) => ({ field: `segment_rules.${index}.value`, value: rule.value })),
  ]);
  return {
    kind,
    id: input.property_id,
    name: input.name,
    type: input.type,
    enabled: true,
    enabledValue: input.value,
    disabledValue: null,
    rolloutPercentage: 100,
    segmentRules: input.segment_rules,
    collections: input.collections.map((collection) => collection.collection_id),
  };
}

function view(flag: StoredFlag): Record<string, unknown> {
  const common = {
    name: flag.name,
    type: flag.type,
    segment_rules: flag.segmentRules,
    collections: flag.collections.map((collection_id) => ({ collection_id })),
    environment_id: flag.environmentId,
    updated_time: flag.updatedAt.toISOString(),
  };
  if (flag.kind === 'property') return { property_id: flag.id, value: flag.enabledValue, ...common };
  return {
    feature_id: flag.id,
    enabled: flag.enabled,
    enabled_value: flag.enabledValue,
    disabled_value: flag.disabledValue,
    rollout_percentage: flag.rolloutPercentage,
    ...common,
  };
}
