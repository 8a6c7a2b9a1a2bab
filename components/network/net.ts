import { isIPv4 } from "node:net";

/** True for a dotted-quad IPv4 address. */
export function isIpAddress(value: string): boolean {
    return isIPv4(value);
}

/** True for an IPv4 CIDR whose address has no bits set beyond the prefix ("10.0.0.0/16", not "10.0.0.1/16"). */
export function isCidr(value: string): boolean {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(value);
    if (!m || !isIPv4(m[1])) return false;
    const prefix = Number(m[2]);
    if (prefix > 32) return false;
    const hostBits = 32 - prefix;
    const addr = m[1].split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
    return hostBits === 32 ? addr === 0 : addr % 2 ** hostBits === 0;
}

/** True when the CIDR matches every address: any zero prefix, however written ("/0", "/00"). */
export function isOpenToWorld(cidr: string): boolean {
    const prefix = /\/(\d+)$/.exec(cidr.trim())?.[1];
    return prefix !== undefined && Number(prefix) === 0;
}
