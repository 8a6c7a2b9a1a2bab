/** True for a CIDR that admits every address: 0.0.0.0/0, ::/0 (any /0 prefix). */
export function isOpenToWorld(cidr: string): boolean {
    const [, prefix] = cidr.trim().split("/");
    return prefix !== undefined && Number(prefix) === 0;
}

/** Whether a firewall port spec ("22", "20-30") covers the port. */
export function portSpecCovers(spec: string, port: number): boolean {
    const [low, high] = spec
        .trim()
        .split("-")
        .map((part) => Number(part));
    if (high === undefined) {
        return low === port;
    }
    return low <= port && port <= high;
}
