/** A content diagnostic: which file, where in it (JSON pointer), which rule, and what is wrong. */
export interface Diagnostic {
  file: string;
  pointer: string;
  rule: string;
  message: string;
}

export class ContentError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ContentError';
  }
}

export const formatDiagnostic = (d: Diagnostic) =>
  `${d.file}${d.pointer ? `#${d.pointer}` : ''} [${d.rule}] ${d.message}`;
