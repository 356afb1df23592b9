import t from 'tap';
import { buildApp } from '../helper.ts';

t.test('the OpenAPI document lists every management route with its schemas', async (t) => {
  const app = await buildApp(t);
  const response = await app.inject('/docs/json');
  t.equal(response.statusCode, 200);
  const doc = response.json();
  t.match(doc.openapi, /^3\./);
  const expected: Record<string, string[]> = {
    '/v1/workspaces/{workspaceId}/tokens': ['get', 'post'],
    '/v1/workspaces/{workspaceId}/tokens/{tokenId}': ['delete', 'get'],
    '/v1/workspaces/{workspaceId}/tokens/{tokenId}/disable': ['post'],
    '/v1/workspaces/{workspaceId}/tokens/disable': ['post'],
    '/v1/workspaces/{workspaceId}/tokens/delete': ['post'],
    '/v1/workspaces/{workspaceId}/audit-events': ['get'],
    '/v1/operator-keys': ['get', 'post'],
    '/v1/operator-keys/{keyId}/revoke': ['post'],
  };
  for (const [path, methods] of Object.entries(expected)) {
    t.ok(doc.paths[path], `${path} is documented`);
    for (const method of methods) {
      const operation = doc.paths[path]?.[method];
      t.ok(operation, `${method.toUpperCase()} ${path}`);
      t.ok(operation?.responses?.['401'], `${method.toUpperCase()} ${path} documents 401`);
      t.ok(Object.keys(operation?.responses ?? {}).some((status) => status.startsWith('2')), `${method.toUpperCase()} ${path} documents its success`);
      t.same(operation?.security, [{ bearer: [] }]);
    }
  }
  const generate = doc.paths['/v1/workspaces/{workspaceId}/tokens'].post;
  t.match(generate.requestBody.content['application/json'].schema.properties.lifetimeDays, { type: 'integer', minimum: 1, maximum: 365 });
  t.ok(generate.responses['201'].content['application/json'].schema.properties.refresh_token);
  t.equal((await app.inject('/docs')).statusCode < 400, true, 'the browsable page answers');
});
