/** Percent-encodes; a lone surrogate becomes its raw (invalid UTF-8) bytes, itself a hostile case. */
export const encode = (value: string): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
};
