/**
 * The help of one command of a group (`keyward clients add --help`), cut from the group's help:
 * its line in "Commands:" and the lines indented under it, so that each command's help is
 * written once. Undefined when the group has no such command.
 */
export function commandHelp(groupHelp: string, group: string, command: string): string | undefined {
  const lines = groupHelp.split('\n');
  const start = lines.findIndex((line) => line === `  ${command}` || line.startsWith(`  ${command} `));
  if (start < 0) return undefined;
  // A command's own lines are indented deeper than the two spaces that start the next command.
  const end = lines.findIndex((line, i) => i > start && !/^ {3,}\S/.test(line));
  const own = lines.slice(start, end < 0 ? undefined : end).map((line) => line.slice(2));
  const footer = lines.filter((line) => /takes --json/.test(line));
  return [`Usage: keyward ${group} ${own[0]}`, ...own.slice(1), ...(footer.length ? ['', ...footer] : [])].join('\n');
}

/** "in about 58 minutes": a wait said the way people say it (not "3464 s"). */
export function humanWait(seconds: number): string {
  if (seconds <= 0) return 'now';
  if (seconds < 60) return `in ${Math.ceil(seconds)} second${Math.ceil(seconds) === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(seconds / 360) / 10;
  if (hours < 48) return `in about ${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.round(seconds / 86_400);
  return `in about ${days} days`;
}
