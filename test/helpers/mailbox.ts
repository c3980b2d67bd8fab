import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads the development mail folder Keyward writes every mail to (MAIL_DIRECTORY). */
export function mailsTo(directory: string, to: string): { subject: string; text: string; link: string | undefined }[] {
  let files: string[];
  try {
    files = readdirSync(directory).sort();
  } catch {
    return [];
  }
  return files
    .map((file) => readFileSync(join(directory, file), 'utf8'))
    .filter((content) => content.startsWith(`To: ${to}\n`))
    .map((content) => ({
      subject: /^Subject: (.*)$/m.exec(content)?.[1] ?? '',
      text: content,
      link: /(https?:\/\/\S+)/.exec(content.split('\n\n').slice(1).join('\n\n'))?.[1],
    }));
}

/** The link in the newest mail to `to` whose subject matches. */
export function latestLink(directory: string, to: string, subject: RegExp): string {
  const mail = mailsTo(directory, to).filter((m) => subject.test(m.subject)).at(-1);
  if (!mail?.link) throw new Error(`no mail "${subject}" to ${to} in ${directory}`);
  return mail.link;
}
