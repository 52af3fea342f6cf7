/**
 * One process, many functions: each local invocation runs inside an async context that carries
 * its function's environment. `process.env` is replaced once by a view that, inside such a
 * context, shows that function's variables and nothing else (as Lambda gives each function only
 * its own), and outside it the process's own. The variables include per-function credentials
 * (a session token naming the function), which is how the local AWS endpoints know who calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface FunctionContext {
  /** `function/<name>` or `task/<name>`. */
  principal: string;
  env: Record<string, string>;
}

const store = new AsyncLocalStorage<FunctionContext>();
let installed = false;

/** The session token a local principal's credentials carry (and the endpoints read back). */
export const SESSION_TOKEN_PREFIX = 'lcm-local:';
export const sessionToken = (principal: string) => `${SESSION_TOKEN_PREFIX}${principal}`;
export const principalOfToken = (token: string | undefined): string | undefined =>
  token?.startsWith(SESSION_TOKEN_PREFIX) ? token.slice(SESSION_TOKEN_PREFIX.length) : undefined;

export function currentFunction(): FunctionContext | undefined {
  return store.getStore();
}

/** Replaces `process.env` by the per-function view (idempotent). */
export function installFunctionEnvironments(): void {
  if (installed) return;
  installed = true;
  const real = process.env;
  const view = new Proxy(real, {
    get(target, key) {
      const s = store.getStore();
      if (s && typeof key === 'string') return Object.hasOwn(s.env, key) ? s.env[key] : undefined;
      return Reflect.get(target, key);
    },
    set(target, key, value) {
      const s = store.getStore();
      if (s && typeof key === 'string') s.env[key] = String(value);
      else Reflect.set(target, key, String(value));
      return true;
    },
    has(target, key) {
      const s = store.getStore();
      if (s && typeof key === 'string') return Object.hasOwn(s.env, key);
      return Reflect.has(target, key);
    },
    deleteProperty(target, key) {
      const s = store.getStore();
      if (s && typeof key === 'string') delete s.env[key];
      else Reflect.deleteProperty(target, key);
      return true;
    },
    ownKeys(target) {
      const s = store.getStore();
      return s ? Reflect.ownKeys(s.env) : Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      const s = store.getStore();
      if (s && typeof key === 'string')
        return Object.hasOwn(s.env, key)
          ? { value: s.env[key], writable: true, enumerable: true, configurable: true }
          : undefined;
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
  process.env = view;
}

/** Runs `fn` as the given principal, with exactly `env` as its environment. */
export function runAs<T>(ctx: FunctionContext, fn: () => T): T {
  installFunctionEnvironments();
  return store.run(ctx, fn);
}
