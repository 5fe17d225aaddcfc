/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Colour only on a terminal and when not disabled (NO_COLOR, --no-color). */
  colour: boolean;
}

export function processOutput(noColor: boolean): Output {
  // A reader that stops early (`| head`) closes the pipe: that ends the output, it is no error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    colour: !noColor && process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
}
