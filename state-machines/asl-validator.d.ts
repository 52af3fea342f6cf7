/** asl-validator ships no declarations: its CommonJS export, as compile.ts calls it. */
declare module 'asl-validator' {
  const validator: (
    definition: unknown,
    opts?: { checkArn?: boolean; checkPaths?: boolean },
  ) => { isValid: boolean; errorsText(separator?: string): string };
  export default validator;
}
