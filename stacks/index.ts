// Picks the stack module for the configured environment. Config is read and validated first, so a
// bad stack fails before any resource is declared.
import { loadStackConfig } from "./config";
import type { StackConfig } from "./config";
import { deployAws } from "./aws";
import { deployHomelab } from "./homelab";
import { deployHybrid } from "./hybrid";
import { deployLocal } from "./local";

export type StackOutputs = Record<string, unknown>;

export async function main(): Promise<StackOutputs> {
    const config = loadStackConfig();
    switch (config.environment) {
        case "aws":
            return deployAws(config);
        case "homelab":
            return deployHomelab(config);
        case "hybrid":
            return deployHybrid(config);
        case "local":
            return deployLocal(config);
    }
}

export type { StackConfig };
