import { Ajv, type ErrorObject } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS: under ESM its function is the module's default export.
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv) => Ajv;

function createAjv(coerceTypes: boolean) {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, allErrors: false, verbose: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/**
 * Bodies are validated as sent: "30" is not a number of days. Path and query strings are
 * text by nature, so they are coerced to the types their schemas name.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv(false);
  const coercing = createAjv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}

/** One sentence per problem, naming the field and what it must be. */
export function describeValidationErrors(errors: readonly ErrorObject[], part: string): string {
  return errors.map((error) => {
    if (error.keyword === 'required') {
      const field = String(error.params.missingProperty);
      const description = (error.parentSchema?.properties?.[field] as { description?: string } | undefined)?.description;
      return `${field} is required${description ? ` (${description})` : ''}.`;
    }
    if (error.keyword === 'additionalProperties') {
      return `${String(error.params.additionalProperty)} is not a field of this ${part}; remove it.`;
    }
    const field = error.instancePath.slice(1).replaceAll('/', '.') || part;
    const description = (error.parentSchema as { description?: string } | undefined)?.description;
    return `${field} ${error.message}${description ? ` (${description})` : ''}.`;
  }).join(' ');
}
