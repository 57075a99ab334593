// Options every hoard command takes.
export interface GlobalArgs {
  tracker?: string;
}
