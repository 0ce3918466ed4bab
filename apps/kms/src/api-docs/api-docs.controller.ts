import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

/** The OpenAPI document, public like Key Protect's API reference (no token, no instance). */
@Controller('api/docs')
export class ApiDocsController {
  private readonly document = buildOpenApiDocument();

  @Get()
  get(): Record<string, unknown> {
    return this.document;
  }
}
