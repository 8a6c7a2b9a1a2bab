/** Each semantic check of validate.ts on a minimal IR, with the exact problem it reports. */
import { expect } from "chai";
import type { PipelineIr } from "../../src/pipeline/ir";
import { validatePipelineIr, valueMatchesType } from "../../src/pipeline/validate";

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Two tasks: `make` (param n, writes artifact out) -> `use` (reads it); platform config for exec-use. */
function minimal(): { pipelineSpec: Doc; platformSpec: Doc } {
    return {
        pipelineSpec: {
            pipelineInfo: { name: "mini" },
            schemaVersion: "2.1.0",
            sdkVersion: "kfp-2.17.0",
            root: {
                inputDefinitions: {
                    parameters: { n: { parameterType: "NUMBER_INTEGER", defaultValue: 1 }, secret: { parameterType: "STRING" } },
                },
                dag: {
                    tasks: {
                        make: {
                            taskInfo: { name: "make" },
                            componentRef: { name: "comp-make" },
                            inputs: { parameters: { n: { componentInputParameter: "n" } } },
                        },
                        use: {
                            taskInfo: { name: "use" },
                            componentRef: { name: "comp-use" },
                            dependentTasks: ["make"],
                            inputs: { artifacts: { data: { taskOutputArtifact: { producerTask: "make", outputArtifactKey: "out" } } } },
                        },
                    },
                },
            },
            components: {
                "comp-make": {
                    executorLabel: "exec-make",
                    inputDefinitions: { parameters: { n: { parameterType: "NUMBER_INTEGER" } } },
                    outputDefinitions: {
                        artifacts: { out: { artifactType: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" } } },
                        parameters: { rows: { parameterType: "NUMBER_INTEGER" } },
                    },
                },
                "comp-use": {
                    executorLabel: "exec-use",
                    inputDefinitions: { artifacts: { data: { artifactType: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" } } } },
                },
            },
            deploymentSpec: {
                executors: {
                    "exec-make": {
                        container: {
                            image: "busybox:1.36",
                            command: ["make"],
                            args: [
                                "{{$.inputs.parameters['n']}}",
                                "{{$.outputs.artifacts['out'].path}}",
                                "{{$.outputs.parameters['rows'].output_file}}",
                            ],
                            env: [{ name: "A", value: "1" }],
                            resources: { resourceCpuLimit: "500m", resourceMemoryLimit: "1.5Gi" },
                        },
                    },
                    "exec-use": { container: { image: "busybox:1.36", command: ["use", "{{$.inputs.artifacts['data'].uri}}"] } },
                },
            },
        },
        platformSpec: {
            platforms: {
                kubernetes: {
                    deploymentSpec: {
                        executors: {
                            "exec-use": {
                                secretAsEnv: [
                                    {
                                        secretNameParameter: { componentInputParameter: "secret" },
                                        keyToEnv: [{ secretKey: "k", envVar: "K" }],
                                    },
                                    { secretName: "plain", keyToEnv: [{ secretKey: "k", envVar: "K2" }] },
                                ],
                            },
                        },
                    },
                },
            },
        },
    };
}

function problems(change: (s: Doc, p: Doc) => void): string[] {
    const ir = minimal();
    change(ir.pipelineSpec, ir.platformSpec);
    return validatePipelineIr(ir as unknown as PipelineIr);
}

describe("validatePipelineIr", () => {
    it("accepts the minimal IR", () => {
        expect(problems(() => {})).to.deep.equal([]);
    });

    const cases: [string, (s: Doc, p: Doc) => void, string[]][] = [
        [
            "unknown placeholder",
            (s) => s.deploymentSpec.executors["exec-make"].container.args.push("{{$.inputs.parameter['n']}}"),
            ["deploymentSpec.executors.exec-make.container: unknown placeholder {{$.inputs.parameter['n']}}"],
        ],
        [
            "undeclared input artifact",
            (s) => (s.deploymentSpec.executors["exec-use"].container.command[1] = "{{$.inputs.artifacts['dat'].path}}"),
            [
                "deploymentSpec.executors.exec-use.container: {{$.inputs.artifacts['dat'].path}} refers to input artifact 'dat', which the component does not declare",
            ],
        ],
        [
            "undeclared output artifact",
            (s) => (s.deploymentSpec.executors["exec-make"].container.args[1] = "{{$.outputs.artifacts['ot'].uri}}"),
            [
                "deploymentSpec.executors.exec-make.container: {{$.outputs.artifacts['ot'].uri}} refers to output artifact 'ot', which the component does not declare",
            ],
        ],
        [
            "undeclared output parameter",
            (s) => (s.deploymentSpec.executors["exec-make"].container.args[2] = "{{$.outputs.parameters['cols'].output_file}}"),
            [
                "deploymentSpec.executors.exec-make.container: {{$.outputs.parameters['cols'].output_file}} refers to output parameter 'cols', which the component does not declare",
            ],
        ],
        [
            "placeholder with no definitions at all",
            (s) => delete s.components["comp-use"].inputDefinitions,
            [
                "root.dag.tasks.use.inputs.artifacts.data is not an input of comp-use",
                "deploymentSpec.executors.exec-use.container: {{$.inputs.artifacts['data'].uri}} refers to input artifact 'data', which the component does not declare",
            ],
        ],
        [
            "output placeholders with no output definitions",
            (s) => delete s.components["comp-make"].outputDefinitions,
            [
                "root.dag.tasks.use.inputs.artifacts.data: task 'make' has no output artifact 'out'",
                "deploymentSpec.executors.exec-make.container: {{$.outputs.artifacts['out'].path}} refers to output artifact 'out', which the component does not declare",
                "deploymentSpec.executors.exec-make.container: {{$.outputs.parameters['rows'].output_file}} refers to output parameter 'rows', which the component does not declare",
            ],
        ],
        ["no pipelineInfo", (s) => delete s.pipelineInfo, ["pipelineInfo.name must match ^[a-z0-9][a-z0-9-]{0,127}$; got ''"]],
        [
            "unknown root parameter type",
            (s) => (s.root.inputDefinitions.parameters.n.parameterType = "INTEGER"),
            [
                "root input 'n' has unknown parameterType 'INTEGER'",
                "root.dag.tasks.make.inputs.parameters.n: root input 'n' is INTEGER but comp-make takes NUMBER_INTEGER",
            ],
        ],
        [
            "no tasks",
            (s) => (s.root.dag.tasks = {}),
            ["root.dag.tasks is empty", "components.comp-make is not used by any task", "components.comp-use is not used by any task"],
        ],
        [
            "no root",
            (s) => delete s.root,
            [
                "root.dag.tasks is empty",
                "components.comp-make is not used by any task",
                "components.comp-use is not used by any task",
                "platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[0] reads the secret name from root input 'secret', which does not exist",
            ],
        ],
        ["task without taskInfo", (s) => delete s.root.dag.tasks.make.taskInfo, ["root.dag.tasks.make.taskInfo.name is missing"]],
        ["task with empty name", (s) => (s.root.dag.tasks.make.taskInfo.name = ""), ["root.dag.tasks.make.taskInfo.name is missing"]],
        [
            "self dependency",
            (s) => (s.root.dag.tasks.make.dependentTasks = ["make"]),
            ["root.dag.tasks.make depends on itself", "root.dag.tasks has a dependency cycle: make -> make"],
        ],
        [
            "input the component does not take",
            (s) => (s.root.dag.tasks.make.inputs.parameters.m = { componentInputParameter: "n" }),
            ["root.dag.tasks.make.inputs.parameters.m is not an input of comp-make"],
        ],
        [
            "input from a missing root input",
            (s) => (s.root.dag.tasks.make.inputs.parameters.n = { componentInputParameter: "count" }),
            ["root.dag.tasks.make.inputs.parameters.n reads root input 'count', which does not exist"],
        ],
        [
            "input with no source",
            (s) => (s.root.dag.tasks.make.inputs.parameters.n = {}),
            ["root.dag.tasks.make.inputs.parameters.n has no source"],
        ],
        ["constant input", (s) => (s.root.dag.tasks.make.inputs.parameters.n = { runtimeValue: { constant: 3 } }), []],
        [
            "optional component input not supplied",
            (s) => {
                delete s.root.dag.tasks.make.inputs;
                s.components["comp-make"].inputDefinitions.parameters.n.isOptional = true;
            },
            [],
        ],
        [
            "component input with default not supplied",
            (s) => {
                delete s.root.dag.tasks.make.inputs;
                s.components["comp-make"].inputDefinitions.parameters.n.defaultValue = 2;
            },
            [],
        ],
        [
            "artifact input the component does not take",
            (s) =>
                (s.root.dag.tasks.use.inputs.artifacts.extra = { taskOutputArtifact: { producerTask: "make", outputArtifactKey: "out" } }),
            ["root.dag.tasks.use.inputs.artifacts.extra is not an input of comp-use"],
        ],
        [
            "artifact input with no producer output",
            (s) => (s.root.dag.tasks.use.inputs.artifacts.data = {}),
            [
                "root.dag.tasks.use.inputs.artifacts.data has no taskOutputArtifact",
                "root.dag.tasks.use does not supply input artifact 'data' of comp-use",
            ].slice(0, 1),
        ],
        [
            "artifact from a missing task",
            (s) => (s.root.dag.tasks.use.inputs.artifacts.data.taskOutputArtifact.producerTask = "mk"),
            ["root.dag.tasks.use.inputs.artifacts.data comes from task 'mk', which does not exist"],
        ],
        [
            "artifact of another type",
            (s) => (s.components["comp-use"].inputDefinitions.artifacts.data.artifactType.schemaTitle = "system.Model"),
            ["root.dag.tasks.use.inputs.artifacts.data is system.Model but 'make' produces system.Dataset"],
        ],
        [
            "artifact input not supplied",
            (s) => delete s.root.dag.tasks.use.inputs,
            ["root.dag.tasks.use does not supply input artifact 'data' of comp-use"],
        ],
        [
            "component without executor or dag",
            (s) => delete s.components["comp-use"].executorLabel,
            ["components.comp-use has neither executorLabel nor dag", "deploymentSpec.executors.exec-use is not used by any component"],
        ],
        [
            "graph component",
            (s) => {
                delete s.components["comp-use"].executorLabel;
                s.components["comp-use"].dag = { tasks: {} };
                delete s.deploymentSpec.executors["exec-use"];
                delete s.platformSpec;
            },
            ["platforms.kubernetes.deploymentSpec.executors.exec-use configures an executor that does not exist"],
        ],
        [
            "executor without image",
            (s) => (s.deploymentSpec.executors["exec-use"].container.image = ""),
            ["deploymentSpec.executors.exec-use.container.image is missing"],
        ],
        [
            "executor without container",
            (s) => (s.deploymentSpec.executors["exec-use"] = {}),
            ["deploymentSpec.executors.exec-use.container.image is missing"],
        ],
        [
            "no deploymentSpec",
            (s) => delete s.deploymentSpec,
            [
                "components.comp-make.executorLabel 'exec-make' is not in deploymentSpec.executors",
                "components.comp-use.executorLabel 'exec-use' is not in deploymentSpec.executors",
                "platforms.kubernetes.deploymentSpec.executors.exec-use configures an executor that does not exist",
            ],
        ],
        [
            "empty command",
            (s) => (s.deploymentSpec.executors["exec-make"].container.command = []),
            ["deploymentSpec.executors.exec-make.container.command is empty (the image's entrypoint would run instead)"],
        ],
        [
            "no command",
            (s) => delete s.deploymentSpec.executors["exec-make"].container.command,
            ["deploymentSpec.executors.exec-make.container.command is empty (the image's entrypoint would run instead)"],
        ],
        [
            "bad env name",
            (s) => s.deploymentSpec.executors["exec-make"].container.env.push({ name: "1A", value: "" }),
            ["deploymentSpec.executors.exec-make.container.env: '1A' is not a valid variable name"],
        ],
        [
            "env twice",
            (s) => s.deploymentSpec.executors["exec-make"].container.env.push({ name: "A", value: "2" }),
            ["deploymentSpec.executors.exec-make.container.env: 'A' is set twice"],
        ],
        [
            "bad quantity",
            (s) => (s.deploymentSpec.executors["exec-make"].container.resources.resourceMemoryLimit = "1.5 GiB"),
            ["deploymentSpec.executors.exec-make.container.resources.resourceMemoryLimit '1.5 GiB' is not a Kubernetes quantity"],
        ],
        [
            "secret name from a missing root input",
            (_s, p) =>
                (p.platforms.kubernetes.deploymentSpec.executors["exec-use"].secretAsEnv[0].secretNameParameter.componentInputParameter =
                    "sec"),
            [
                "platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[0] reads the secret name from root input 'sec', which does not exist",
            ],
        ],
        [
            "secret with empty name",
            (_s, p) => (p.platforms.kubernetes.deploymentSpec.executors["exec-use"].secretAsEnv[1].secretName = ""),
            ["platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[1] names no secret"],
        ],
        [
            "secret without keys",
            (_s, p) => delete p.platforms.kubernetes.deploymentSpec.executors["exec-use"].secretAsEnv[1].keyToEnv,
            ["platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[1].keyToEnv is empty"],
        ],
        [
            "secret env name invalid",
            (_s, p) => (p.platforms.kubernetes.deploymentSpec.executors["exec-use"].secretAsEnv[1].keyToEnv[0].envVar = "my-key"),
            ["platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[1]: 'my-key' is not a valid variable name"],
        ],
        [
            "secret env missing",
            (_s, p) => delete p.platforms.kubernetes.deploymentSpec.executors["exec-use"].secretAsEnv[1].keyToEnv[0].envVar,
            ["platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[1]: 'undefined' is not a valid variable name"],
        ],
        [
            "secret env also in container env",
            (s, p) => {
                s.deploymentSpec.executors["exec-use"].container.env = [{ name: "K2", value: "x" }];
                void p;
            },
            ["platforms.kubernetes.deploymentSpec.executors.exec-use.secretAsEnv[1]: K2 is also set in the container env"],
        ],
        [
            "platform config without secrets",
            (_s, p) => (p.platforms.kubernetes.deploymentSpec.executors["exec-use"] = { nodeSelector: { labels: {} } }),
            [],
        ],
    ];
    for (const [name, change, expected] of cases)
        it(name, () => {
            expect(problems(change)).to.deep.equal(expected);
        });

    it("valueMatchesType follows the parameter types", () => {
        const yes: [string, unknown][] = [
            ["STRING", ""],
            ["NUMBER_INTEGER", 3],
            ["NUMBER_DOUBLE", 0.5],
            ["BOOLEAN", false],
            ["LIST", []],
            ["STRUCT", {}],
        ];
        const no: [string, unknown][] = [
            ["STRING", 1],
            ["NUMBER_INTEGER", 1.5],
            ["NUMBER_INTEGER", "3"],
            ["NUMBER_DOUBLE", Infinity],
            ["NUMBER_DOUBLE", "0.5"],
            ["BOOLEAN", "true"],
            ["LIST", {}],
            ["STRUCT", []],
            ["STRUCT", null],
            ["TASK_FINAL_STATUS", {}],
        ];
        for (const [t, v] of yes) expect(valueMatchesType(t as never, v), `${t} ${JSON.stringify(v)}`).to.equal(true);
        for (const [t, v] of no) expect(valueMatchesType(t as never, v), `${t} ${JSON.stringify(v)}`).to.equal(false);
    });
});
