import { describe, expect, it } from '@jest/globals';
import { CLIENTS_HELP } from '../../src/cli/clients.command.ts';
import { commandHelp, humanWait } from '../../src/cli/help.ts';
import { USERS_HELP } from '../../src/cli/users.command.ts';

describe('CLI help and wording', () => {
  it('cuts one command’s help out of its group’s, with the lines under it', () => {
    const add = commandHelp(CLIENTS_HELP, 'clients', 'add')!;
    expect(add).toMatch(/^Usage: keyward clients add --kind/);
    expect(add).toContain('--require-mfa makes every sign-in');
    expect(add).not.toMatch(/^ {0,2}list/m);
    expect(commandHelp(USERS_HELP, 'users', 'reset-mfa')).toMatch(/^Usage: keyward users reset-mfa <id\|email>/);
    expect(commandHelp(USERS_HELP, 'users', 'nope')).toBeUndefined();
  });

  it('says waiting times in human units', () => {
    expect(humanWait(0)).toBe('now');
    expect(humanWait(1)).toBe('in 1 second');
    expect(humanWait(45)).toBe('in 45 seconds');
    expect(humanWait(3464)).toBe('in about 58 minutes');
    expect(humanWait(3 * 3600 + 10)).toBe('in about 3 hours');
    expect(humanWait(5400)).toBe('in about 1.5 hours');
    expect(humanWait(5 * 86_400)).toBe('in about 5 days');
  });
});
