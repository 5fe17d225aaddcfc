import { type Theme, divergingColour, textColourOn } from '../engine/colourScale';

/**
 * Text with each token's background coloured by a normalised value (24-bit ANSI). Line breaks
 * are written uncoloured so a colour never bleeds to the end of the terminal line; control
 * characters other than line breaks and tabs are shown escaped.
 */
export function colourTokens(tokens: readonly { text: string }[], normalised: ArrayLike<number>, theme: Theme = 'dark'): string {
  let out = '';
  tokens.forEach((token, t) => {
    const bg = divergingColour(normalised[t] ?? 0, theme);
    const fg = textColourOn(bg);
    const open = `\x1b[48;2;${bg[0]};${bg[1]};${bg[2]}m\x1b[38;2;${fg[0]};${fg[1]};${fg[2]}m`;
    for (const part of token.text.split(/(\r\n|\n|\r)/)) {
      if (part === '') continue;
      if (/^(\r\n|\n|\r)$/.test(part)) out += '\n';
      else out += open + printable(part) + '\x1b[0m';
    }
  });
  return out;
}

export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A legend bar from -1 to 1. */
export function legend(width = 41, theme: Theme = 'dark'): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    const bg = divergingColour((2 * i) / (width - 1) - 1, theme);
    s += `\x1b[48;2;${bg[0]};${bg[1]};${bg[2]}m \x1b[0m`;
  }
  return s;
}
