// Collects what the `platform` AppProject must allow: the repositories and the (cluster, namespace)
// destinations of every Application the stack declares, so the project allows exactly those.
import { argoRepoUrl } from "./source";
import type { ServiceSource } from "./source";

export interface ProjectDestination {
    readonly name: string;
    readonly namespace: string;
}

/** What one Argo CD Application needs its AppProject to allow. */
export interface ProjectEntry {
    readonly source: ServiceSource;
    readonly cluster: string;
    readonly namespace: string;
}

export class ProjectScope {
    private readonly repos = new Set<string>();
    private readonly dests = new Map<string, ProjectDestination>();

    /** Records one Application's source and destination. */
    add(source: ServiceSource, cluster: string, namespace: string): void {
        this.repos.add(source.kind === "helm" ? argoRepoUrl(source.repo) : source.repoURL);
        this.dests.set(`${cluster}/${namespace}`, { name: cluster, namespace });
    }

    /** Adds a repository Argo CD may read without an Application of its own yet (e.g. the GitOps repo). */
    addRepo(repoURL: string): void {
        this.repos.add(repoURL);
    }

    /** Sorted, so the AppProject does not change when declaration order does. */
    sourceRepos(): string[] {
        return [...this.repos].sort();
    }

    destinations(): ProjectDestination[] {
        return [...this.dests.values()].sort((a, b) => `${a.name}/${a.namespace}`.localeCompare(`${b.name}/${b.namespace}`));
    }
}
