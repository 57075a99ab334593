// The downloader's country from the GeoIP database shipped in the
// geoip-country package (GeoLite2 data, read once into memory, ~20 MB;
// updating it is updating the package). Loaded only when points are on.

export type CountryOf = (ip: string) => string | undefined;

/** Loads the database (some tens of milliseconds) and answers lookups from memory. */
export async function geoCountries(): Promise<CountryOf> {
  const geo = (await import('geoip-country')).default;
  return (ip) => {
    const c = geo.lookup(ip)?.country;
    return c === undefined || c === '' ? undefined : c;
  };
}
