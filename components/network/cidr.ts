// IPv4 CIDR maths for subnet planning: pure, so the layout of a VPC is decided and tested before any
// resource exists.

/** A parsed IPv4 block: first address as an unsigned 32-bit number, and prefix length. */
export interface Block {
    readonly base: number;
    readonly prefix: number;
}

export function parseCidr(cidr: string): Block {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
    if (!m) throw new Error(`'${cidr}' is not an IPv4 CIDR such as 10.0.0.0/16`);
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`'${cidr}' is not an IPv4 CIDR such as 10.0.0.0/16`);
    const base = octets.reduce((acc, o) => acc * 256 + o, 0);
    if (base % 2 ** (32 - prefix) !== 0)
        throw new Error(`'${cidr}' has host bits set; did you mean ${formatCidr({ base: base - (base % 2 ** (32 - prefix)), prefix })}?`);
    return { base, prefix };
}

export function formatCidr(block: Block): string {
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(block.base / 2 ** shift) % 256);
    return `${octets.join(".")}/${block.prefix}`;
}

/** Terraform's cidrsubnet: the `netnum`-th block of `parent` extended by `newbits` bits. */
export function cidrSubnet(parent: string, newbits: number, netnum: number): string {
    const { base, prefix } = parseCidr(parent);
    const child = prefix + newbits;
    if (newbits < 0 || child > 32) throw new Error(`cannot extend /${prefix} by ${newbits} bits (result /${child} is beyond /32)`);
    if (netnum < 0 || netnum >= 2 ** newbits)
        throw new Error(`block ${netnum} does not exist: /${prefix} has ${2 ** newbits} blocks of /${child}`);
    return formatCidr({ base: base + netnum * 2 ** (32 - child), prefix: child });
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parseCidr(outer);
    const i = parseCidr(inner);
    return i.prefix >= o.prefix && Math.floor(i.base / 2 ** (32 - o.prefix)) === Math.floor(o.base / 2 ** (32 - o.prefix));
}

/** True when two blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
    return cidrContains(a, b) || cidrContains(b, a);
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** True for blocks inside RFC 1918 private space. */
export function isPrivateCidr(cidr: string): boolean {
    return PRIVATE_RANGES.some((r) => cidrContains(r, cidr));
}

/** AWS refuses subnets smaller than /28. */
const SMALLEST_SUBNET = 28;

export interface SubnetPlan {
    /** One per zone, in zone order: large, for nodes and pods (the VPC CNI gives pods VPC addresses). */
    readonly private: string[];
    /** One per zone, in zone order: small, for load balancers and NAT gateways. */
    readonly public: string[];
}

/**
 * Splits a VPC into one private and one public subnet per zone. The first half of the VPC holds the
 * private subnets (4 equal slots, or 8 beyond 4 zones, so adding a zone later keeps existing CIDRs);
 * the second half holds public subnets a quarter that size. The rest stays free for later use.
 * A /16 with 3 zones gives private /19s (8,190 addresses each) and public /21s.
 */
export function planVpcSubnets(vpcCidr: string, zones: number): SubnetPlan {
    const { prefix } = parseCidr(vpcCidr);
    if (!Number.isInteger(zones) || zones < 1 || zones > 8) throw new Error(`availability zone count must be 1-8; got ${zones}`);
    const slotBits = zones <= 4 ? 2 : 3;
    const privatePrefix = prefix + 1 + slotBits;
    const publicPrefix = privatePrefix + 2;
    if (publicPrefix > SMALLEST_SUBNET) {
        const largest = SMALLEST_SUBNET - 3 - slotBits;
        throw new Error(
            `VPC ${vpcCidr} is too small for ${zones} zones: public subnets would be /${publicPrefix} (AWS allows /${SMALLEST_SUBNET} at most); use a /${largest} or larger, e.g. 10.0.0.0/16`,
        );
    }
    const privateHalf = cidrSubnet(vpcCidr, 1, 0);
    const publicHalf = cidrSubnet(vpcCidr, 1, 1);
    const indexes = Array.from({ length: zones }, (_, i) => i);
    return {
        private: indexes.map((i) => cidrSubnet(privateHalf, slotBits, i)),
        public: indexes.map((i) => cidrSubnet(publicHalf, slotBits + 2, i)),
    };
}
