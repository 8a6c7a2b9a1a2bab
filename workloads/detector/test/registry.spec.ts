import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeFailures, findModelFiles, isReady, loadModelRepository } from "../src/registry";
import { removeDir, smallModel, tempDir, writeModel } from "./server-helpers";

describe("detector model registry", () => {
    const model = smallModel("cpu");
    let dir: string;
    beforeEach(() => {
        dir = tempDir();
    });
    afterEach(() => removeDir(dir));

    it("loads every *.json in the directory under the name in each file, with a content-hash version", () => {
        writeModel(dir, "a.json", model);
        writeModel(dir, "b.json", { ...model, name: "memory" });
        writeFileSync(join(dir, "README.txt"), "not a model");
        const repo = loadModelRepository(dir);
        expect([...repo.models.keys()].sort()).to.deep.equal(["cpu", "memory"]);
        expect(repo.failures).to.deep.equal([]);
        expect(isReady(repo)).to.equal(true);
        const cpu = repo.models.get("cpu");
        expect(cpu?.version).to.match(/^[0-9a-f]{12}$/);
        expect(cpu?.version).not.to.equal(repo.models.get("memory")?.version);
    });

    it("finds a model nested one level down (KServe storage layout) but not deeper, and skips dot files", () => {
        mkdirSync(join(dir, "model", "deeper"), { recursive: true });
        writeModel(join(dir, "model"), "cpu.json", model);
        writeModel(join(dir, "model", "deeper"), "ignored.json", model);
        writeFileSync(join(dir, ".hidden.json"), "{}");
        expect(findModelFiles(dir)).to.deep.equal([join(dir, "model", "cpu.json")]);
        expect(isReady(loadModelRepository(dir))).to.equal(true);
    });

    it("serves the only model under an override name (KServe's InferenceService name)", () => {
        writeModel(dir, "model.json", model);
        expect([...loadModelRepository(dir, { nameOverride: "node-cpu" }).models.keys()]).to.deep.equal(["node-cpu"]);
    });

    it("refuses an override name when there are several model files", () => {
        writeModel(dir, "a.json", model);
        writeModel(dir, "b.json", { ...model, name: "memory" });
        const repo = loadModelRepository(dir, { nameOverride: "x" });
        expect(isReady(repo)).to.equal(false);
        expect(describeFailures(repo)).to.match(/needs exactly one model file; found 2/);
    });

    it("reports corrupt JSON, a wrong format and a duplicate name as failures without throwing", () => {
        writeModel(dir, "good.json", model);
        writeModel(dir, "corrupt.json", '{"format": "aiops-iforest", "trees": [');
        writeModel(dir, "wrong.json", JSON.stringify({ format: "sklearn-pickle", version: 1 }));
        writeModel(dir, "twin.json", model);
        const repo = loadModelRepository(dir);
        expect(isReady(repo)).to.equal(false);
        expect([...repo.models.keys()]).to.deep.equal(["cpu"]);
        const byName = Object.fromEntries(repo.failures.map((f) => [f.name, f.error]));
        expect(byName.corrupt).to.match(/not valid JSON/);
        expect(byName.wrong).to.match(/format must be "aiops-iforest"/);
        // good.json sorts before twin.json, so the twin is the duplicate.
        expect(repo.failures.find((f) => f.file.endsWith("twin.json"))?.error).to.match(/model name 'cpu' is also used by .*good\.json/);
    });

    it("is not ready for an empty or missing directory, saying why", () => {
        const empty = loadModelRepository(dir);
        expect(isReady(empty)).to.equal(false);
        expect(describeFailures(empty)).to.match(/no \*\.json model files found/);
        const missing = loadModelRepository(join(dir, "nope"));
        expect(isReady(missing)).to.equal(false);
        expect(describeFailures(missing)).to.match(/cannot read model directory: ENOENT/);
    });
});
