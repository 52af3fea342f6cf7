/**
 * The transports the console adapter speaks; content sync refuses a connector with another. Apart
 * from the adapter (`console.ts`, which loads ssh2) so content validation can name them without
 * loading ssh2 (D182).
 */
export const CONSOLE_TRANSPORTS = ['telnet', 'ssh'] as const;
export type ConsoleTransport = (typeof CONSOLE_TRANSPORTS)[number];
