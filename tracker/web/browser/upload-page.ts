// The upload page: files picked (or dropped anywhere on the page) go into
// a queue; two at a time are hashed and uploaded, each in its row.
import { Hasher } from './hasher.js';
import { RateMeter } from './rate.js';
import { UploadRow } from './upload-row.js';
import { FileUpload, UploadCancelled, type UploadSettings } from './uploader.js';

/** Files hashed or sent at once. */
const PARALLEL = 2;

export function startUploadPage(zone: HTMLElement): void {
  const input = zone.querySelector<HTMLInputElement>('input[type=file]');
  const list = document.getElementById('uploads');
  if (!input || !list) return;
  const data = zone.dataset;
  const maxSize = Number(data.maxSize);
  const settings: UploadSettings = {
    endpoint: new URL(data.endpoint ?? '/files', location.href).href,
    linkInfo: data.linkInfo ?? '/api/links/',
    chunkSize: Number(data.chunkSize) || 0,
    hasher: new Hasher(data.worker ?? ''),
  };

  const queue: Array<() => Promise<void>> = [];
  let running = 0;
  const pump = (): void => {
    while (running < PARALLEL && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      void job().finally(() => {
        running--;
        pump();
      });
    }
  };

  const add = (files: Iterable<File>): void => {
    for (const file of files) {
      let upload: FileUpload | undefined;
      let dropped = false;
      const row = new UploadRow(file, () => {
        dropped = true;
        if (upload) upload.cancel();
        else row.cancelled();
      });
      list.append(row.root);
      if (Number.isFinite(maxSize) && file.size > maxSize) {
        row.failed('the file is larger than this site accepts');
        continue;
      }
      queue.push(async () => {
        if (dropped) return;
        const meter = new RateMeter();
        upload = new FileUpload(file, settings, (e) => {
          if (e.kind === 'hashing') row.hashing(e.done);
          else if (e.kind === 'resumed') row.resumed(e.offset);
          else if (e.kind === 'verifying') row.verifying();
          else {
            meter.add(e.offset);
            row.sending(e.offset, meter.speed(), meter.secondsLeft(file.size));
          }
        });
        try {
          const out = await upload.run();
          row.done(out.link, out.early, out.sent);
        } catch (err) {
          if (err instanceof UploadCancelled) row.cancelled();
          else row.failed(err instanceof Error ? err.message : String(err));
        }
      });
    }
    pump();
  };

  input.addEventListener('change', () => {
    if (input.files) add([...input.files]);
    // The same file may be picked again (to resume after a failure).
    input.value = '';
  });

  // The whole page is a drop target; the zone shows it.
  let depth = 0;
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true;
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    depth++;
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    if (e.dataTransfer?.files.length) add([...e.dataTransfer.files]);
  });
}
