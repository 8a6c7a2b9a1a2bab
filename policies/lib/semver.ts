// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string, with an
// optional leading "v" because Helm and git tags both accept it.
const EXACT_SEMVER =
    /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const GIT_SHA = /^[0-9a-f]{40}$/i;

export function isExactSemver(version: string): boolean {
    return EXACT_SEMVER.test(version);
}

export function isGitSha(revision: string): boolean {
    return GIT_SHA.test(revision);
}
