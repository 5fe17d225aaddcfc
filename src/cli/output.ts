/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Colour only on a terminal and when not disabled (NO_COLOR, --no-color). */
  colour: boolean;
}

export function processOutput(noColor: boolean): Output {
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    colour: !noColor && process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
}
