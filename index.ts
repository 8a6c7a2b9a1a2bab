// Entry point: Pulumi calls the exported function and uses its result as the stack outputs.
import { main } from "./stacks";

export = main;
