// The little of geoip-country's API the tracker uses (the package ships no types).
declare module 'geoip-country' {
  const geoip: { lookup(ip: string): { country: string } | null };
  export default geoip;
}
