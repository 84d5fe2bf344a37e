/**
 * A one-line progress bar on stderr, only when stderr is a terminal; silent otherwise, so pipes
 * and CI logs stay clean.
 */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = -1;
  return {
    update(done, total) {
      const pct = total === 0 ? 100 : Math.floor((100 * done) / total);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const fill = Math.round((width * pct) / 100);
      stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${pct}%`);
    },
    done() {
      if (last >= 0) stream.write('\n');
    },
  };
}
