/**
 * aws-local-stepfunctions calls Promise.withResolvers (Node ≥ 22) in every Task state. On Node 20,
 * without this, every Task fails and a `Catch: States.ALL` silently swallows the failure.
 * Lambdas run on Node 22, so only the local runtime and the tests load this.
 */
type WithResolvers = <T>() => {
  promise: Promise<T>;
  resolve: (v: T | PromiseLike<T>) => void;
  reject: (e?: unknown) => void;
};
const P = Promise as unknown as { withResolvers?: WithResolvers };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: (v: T | PromiseLike<T>) => void;
    let reject!: (e?: unknown) => void;
    const promise = new Promise<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}
export {};
