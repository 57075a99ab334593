// Keeps a heartbeat under the tracker's body limit. Only the served reports
// can grow past it (a download in many ranges reports each range); the
// oldest go first, since every beat repeats what was served in the last 30 s
// and the freshest have had the fewest beats to be heard.
import type { Heartbeat } from '../../common/protocol/types.js';

/** The beat to send, and how many served reports were left out so that its JSON fits `max` bytes. */
export function fitBeat(beat: Heartbeat, max: number): { beat: Heartbeat; dropped: number } {
  const served = beat.served;
  if (!served || served.length === 0 || Buffer.byteLength(JSON.stringify(beat)) <= max) return { beat, dropped: 0 };
  const bare = Buffer.byteLength(JSON.stringify({ ...beat, served: [] }));
  // Each report costs its JSON and a comma; kept from the freshest (the end) back.
  let room = max - bare;
  let keep = 0;
  for (let i = served.length - 1; i >= 0; i--) {
    const cost = Buffer.byteLength(JSON.stringify(served[i])) + 1;
    if (cost > room) break;
    room -= cost;
    keep++;
  }
  const kept = served.slice(served.length - keep);
  const fitted: Heartbeat = { ...beat };
  if (kept.length > 0) fitted.served = kept;
  else delete fitted.served;
  return { beat: fitted, dropped: served.length - keep };
}
