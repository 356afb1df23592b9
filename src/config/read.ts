import type { ClientConfig } from './index.ts';

/** A bad configuration value; the message names the key so the operator can fix it. */
export class ConfigError extends Error {
  readonly key: string;

  constructor(key: string, problem: string) {
    super(`Invalid configuration: ${key} ${problem}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export interface Source {
  readonly env: NodeJS.ProcessEnv;
  readonly values: Record<string, unknown>;
}

const AUTH_METHODS = new Set(['none', 'client_secret_basic', 'client_secret_post']);

/** The raw value of a key: the environment variable wins over the files. */
function raw(source: Source, key: string, envName: string): { value: unknown; name: string } {
  const fromEnv = source.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, name: envName };
  return { value: source.values[key], name: key };
}

function string(source: Source, key: string, envName: string): string {
  const { value, name } = raw(source, key, envName);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(name, 'must be a non-empty string');
  }
  return value;
}

function optionalString(source: Source, key: string, envName: string): string | undefined {
  const { value } = raw(source, key, envName);
  return value === undefined || value === null || value === '' ? undefined : string(source, key, envName);
}

function integer(source: Source, key: string, envName: string, min: number, max: number): number {
  const { value, name } = raw(source, key, envName);
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function optionalInteger(source: Source, key: string, envName: string, min: number, max: number): number | undefined {
  const { value } = raw(source, key, envName);
  return value === undefined || value === null || value === '' ? undefined : integer(source, key, envName, min, max);
}

function boolean(source: Source, key: string, envName: string): boolean {
  const { value, name } = raw(source, key, envName);
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(value)}`);
}

function oneOf<T extends string>(source: Source, key: string, envName: string, allowed: readonly T[]): T {
  const { value, name } = raw(source, key, envName);
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function issuer(source: Source, key: string, envName: string): string {
  const value = string(source, key, envName);
  const name = source.env[envName] ? envName : key;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, 'must be an http or https URL');
  }
  if (url.search || url.hash || url.pathname === '/' || url.pathname.endsWith('/')) {
    throw new ConfigError(name, 'must have a path (such as /oauth2), no trailing slash, no query and no fragment');
  }
  return url.href;
}

function trustProxy(source: Source, key: string, envName: string): boolean | number | string[] {
  const { value, name } = raw(source, key, envName);
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    return value.split(',').map((part) => part.trim()).filter(Boolean);
  }
  throw new ConfigError(name, 'must be false, true, a hop count, or a comma-separated list of proxy addresses');
}

function list(source: Source, key: string, envName: string): string[] {
  const { value, name } = raw(source, key, envName);
  if (typeof value === 'string') return value.split(',').map((part) => part.trim()).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new ConfigError(name, 'must be a list (a JSON array, or comma-separated)');
}

function secret(source: Source, key: string, envName: string, minLength: number): string | undefined {
  const value = optionalString(source, key, envName);
  if (value !== undefined && value.length < minLength) {
    throw new ConfigError(source.env[envName] ? envName : key, `must be at least ${minLength} characters long`);
  }
  return value;
}

function clients(source: Source, key: string, envName: string): ClientConfig[] {
  const { value: rawValue, name } = raw(source, key, envName);
  let value = rawValue;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ConfigError(name, 'must be a JSON array of clients');
    }
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(name, 'must be a non-empty array of clients');
  }
  const seen = new Set<string>();
  return value.map((client: unknown, index): ClientConfig => {
    const at = `${name}[${index}]`;
    if (typeof client !== 'object' || client === null) throw new ConfigError(at, 'must be an object');
    const { client_id, client_secret, token_endpoint_auth_method, ...rest } = client as Record<string, unknown>;
    if (Object.keys(rest).length > 0) {
      throw new ConfigError(at, `has unknown fields: ${Object.keys(rest).join(', ')}`);
    }
    if (typeof client_id !== 'string' || !/^[\w.-]{1,100}$/.test(client_id)) {
      throw new ConfigError(`${at}.client_id`, 'must be 1 to 100 letters, digits, ".", "_" or "-"');
    }
    if (seen.has(client_id)) throw new ConfigError(`${at}.client_id`, `repeats ${client_id}`);
    seen.add(client_id);
    const method = token_endpoint_auth_method ?? 'none';
    if (typeof method !== 'string' || !AUTH_METHODS.has(method)) {
      throw new ConfigError(`${at}.token_endpoint_auth_method`, `must be one of ${[...AUTH_METHODS].join(', ')}`);
    }
    if (method === 'none') {
      if (client_secret !== undefined) throw new ConfigError(`${at}.client_secret`, 'must not be set for a public client');
      return { client_id, token_endpoint_auth_method: 'none' };
    }
    if (typeof client_secret !== 'string' || client_secret.length < 32) {
      throw new ConfigError(`${at}.client_secret`, 'must be at least 32 characters for a confidential client');
    }
    return { client_id, client_secret, token_endpoint_auth_method: method as ClientConfig['token_endpoint_auth_method'] };
  });
}

export const read = { string, optionalString, integer, optionalInteger, boolean, oneOf, issuer, trustProxy, list, secret, clients };
