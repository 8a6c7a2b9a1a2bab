/**
 * `detector pipeline register` against a stand-in of the KFP 2.17.0 API server (kfp-standin.ts: routes,
 * query parameters, request and response bodies from backend/api/v2beta1/swagger/kfp_api_single_file.swagger.json
 * of release 2.17.0, validated with ajv on every request).
 */
import { expect } from "chai";
import { main } from "../../src/cli";
import { buildPipelineIr, versionName } from "../../src/pipeline/ir";
import { KfpClient, kfpErrorMessage } from "../../src/pipeline/kfp-client";
import { matchesDesired, registerPipeline, RegisterResult } from "../../src/pipeline/register";
import type { TrainingSettings } from "../../src/pipeline/settings";
import { freePort } from "../server-helpers";
import { platformEnv, platformSettings } from "./fixtures";
import { KfpStandIn, robfigV1Parse } from "./kfp-standin";

const fast = { initialBackoffMs: 20, maxBackoffMs: 100, requestTimeoutMs: 2000 };

describe("detector pipeline register (stand-in KFP 2.17.0 API)", function () {
    this.timeout(20_000);
    let kfp: KfpStandIn;
    let url: string;

    beforeEach(async () => {
        kfp = new KfpStandIn();
        url = await kfp.listen();
    });
    afterEach(async () => kfp.close());

    async function register(
        settings: TrainingSettings = platformSettings(),
        log: string[] = [],
    ): Promise<RegisterResult & { client: KfpClient }> {
        const client = new KfpClient({ baseUrl: url, waitMs: 5000, ...fast, log: (l) => log.push(l) });
        const result = await registerPipeline({ settings, client, log: (l) => log.push(l) });
        return { ...result, client };
    }

    it("copies the 2.17.0 swagger", () => {
        expect(kfp.swaggerVersion).to.equal("2.17.0");
    });

    it("first run creates the pipeline, a hash-named version, the experiment and one recurring run", async () => {
        const settings = platformSettings();
        const r = await register(settings);
        expect(kfp.mutations()).to.deep.equal([
            "POST /apis/v2beta1/pipelines",
            "POST /apis/v2beta1/pipelines/upload_version",
            "POST /apis/v2beta1/experiments",
            "POST /apis/v2beta1/recurringruns",
        ]);
        expect(r.client.mutations).to.deep.equal(kfp.mutations());
        expect(r.versionName)
            .to.equal(versionName(buildPipelineIr(settings)))
            .and.match(/^aiops-detector-training-[0-9a-f]{12}$/);
        expect(kfp.pipelines.map((p) => [p.name, p.display_name])).to.deep.equal([["aiops-detector-training", "aiops-detector-training"]]);
        expect(kfp.versions.map((v) => v.name)).to.deep.equal([r.versionName]);
        expect(kfp.versions[0].platform).to.have.nested.property("platforms.kubernetes.deploymentSpec.executors.exec-publish.secretAsEnv");
        expect(kfp.experiments.map((e) => e.display_name)).to.deep.equal(["aiops-detector"]);
        expect(kfp.recurringRuns).to.have.length(1);
        const run = kfp.recurringRuns[0];
        expect(run).to.deep.include({
            display_name: "aiops-detector-training-recurring",
            recurring_run_id: r.recurringRunId,
            experiment_id: r.experimentId,
            pipeline_version_reference: { pipeline_id: r.pipelineId, pipeline_version_id: r.pipelineVersionId },
            runtime_config: { parameters: { prometheus_url: settings.prometheusUrl, training_hours: 168, training_step_seconds: 10 } },
            service_account: "pipeline-runner",
            max_concurrency: "1",
            no_catchup: true,
            trigger: { cron_schedule: { cron: "0 0 2 * * *" } },
            mode: "ENABLE",
            status: "ENABLED",
        });
        expect(r.changes).to.have.length(4);
    });

    it("the cron it sends means 02:00 to KFP's parser (robfig/cron v1), unlike the bare five-field crontab", async () => {
        await register(platformSettings({ TRAINING_SCHEDULE: "0 2 * * *" }));
        const sent = (kfp.recurringRuns[0].trigger as { cron_schedule: { cron: string } }).cron_schedule.cron;
        expect(robfigV1Parse(sent)).to.deep.include({ second: [0], minute: [0], hour: [2] });
        // What the same text would mean had it been passed through unconverted: minute 2 of every hour.
        const naive = robfigV1Parse("0 2 * * *");
        expect(naive.minute).to.deep.equal([2]);
        expect(naive.hour).to.have.length(24);
    });

    it("a second run with the same settings sends no mutating request", async () => {
        const first = await register();
        const before = kfp.requests.length;
        const second = await register();
        expect(second.client.mutations).to.deep.equal([]);
        expect(kfp.requests.slice(before).every((q) => q.method === "GET")).to.equal(true);
        expect(second.changes).to.deep.equal([]);
        expect(second).to.deep.include({
            pipelineId: first.pipelineId,
            pipelineVersionId: first.pipelineVersionId,
            experimentId: first.experimentId,
            recurringRunId: first.recurringRunId,
        });
        expect(kfp.recurringRuns).to.have.length(1);
    });

    it("a changed IR adds a version and repoints the recurring run (create, then delete the old one)", async () => {
        const first = await register();
        const before = kfp.requests.length;
        const second = await register(platformSettings({ DETECTOR_IMAGE: "ghcr.io/acme/aiops-detector:0.2.0" }));
        expect(second.versionName).to.not.equal(first.versionName);
        expect(kfp.mutations(before)).to.deep.equal([
            "POST /apis/v2beta1/pipelines/upload_version",
            "POST /apis/v2beta1/recurringruns",
            `DELETE /apis/v2beta1/recurringruns/${first.recurringRunId}`,
        ]);
        expect(kfp.versions.map((v) => v.name)).to.deep.equal([first.versionName, second.versionName]);
        expect(kfp.recurringRuns).to.have.length(1);
        expect(kfp.recurringRuns[0].pipeline_version_reference).to.deep.equal({
            pipeline_id: first.pipelineId,
            pipeline_version_id: second.pipelineVersionId,
        });
        expect(second.pipelineId).to.equal(first.pipelineId);
        // Back to the first IR: its version exists, so only the schedule moves back.
        const third = await register();
        expect(third.pipelineVersionId).to.equal(first.pipelineVersionId);
        expect(kfp.versions).to.have.length(2);
    });

    it("a new schedule or training window recreates only the recurring run; pausing only disables it", async () => {
        const first = await register();
        let before = kfp.requests.length;
        const moved = await register(platformSettings({ TRAINING_SCHEDULE: "30 3 * * 1-5" }));
        expect(moved.pipelineVersionId).to.equal(first.pipelineVersionId);
        expect(kfp.mutations(before).map((m) => m.split(" ")[0])).to.deep.equal(["POST", "DELETE"]);
        expect(kfp.recurringRuns).to.have.length(1);
        expect(kfp.recurringRuns[0].trigger).to.deep.equal({ cron_schedule: { cron: "0 30 3 * * 1-5" } });

        before = kfp.requests.length;
        await register(platformSettings({ TRAINING_SCHEDULE: "30 3 * * 1-5", TRAINING_SCHEDULE_PAUSED: "true" }));
        expect(kfp.mutations().slice(-1)).to.deep.equal([`POST /apis/v2beta1/recurringruns/${moved.recurringRunId}:disable`]);
        expect(kfp.requests.slice(before).filter((q) => q.method !== "GET")).to.have.length(1);
        expect(kfp.recurringRuns[0].status).to.equal("DISABLED");
        await register(platformSettings({ TRAINING_SCHEDULE: "30 3 * * 1-5" }));
        expect(kfp.mutations().slice(-1)).to.deep.equal([`POST /apis/v2beta1/recurringruns/${moved.recurringRunId}:enable`]);
        expect(kfp.recurringRuns[0].status).to.equal("ENABLED");
    });

    it("leaves exactly one recurring run when stale copies exist (any experiment, any page)", async () => {
        const first = await register();
        kfp.maxPageSize = 1;
        const stale = {
            ...kfp.recurringRuns[0],
            recurring_run_id: "stale-1",
            experiment_id: "other-experiment",
            runtime_config: { parameters: { training_hours: 1 } },
        };
        kfp.recurringRuns.unshift(stale, { ...stale, recurring_run_id: "stale-2" });
        const before = kfp.requests.length;
        const again = await register();
        expect(again.recurringRunId).to.equal(first.recurringRunId);
        expect(kfp.mutations(before)).to.deep.equal([
            "DELETE /apis/v2beta1/recurringruns/stale-1",
            "DELETE /apis/v2beta1/recurringruns/stale-2",
        ]);
        expect(kfp.recurringRuns.map((r) => r.recurring_run_id)).to.deep.equal([first.recurringRunId]);
        expect(kfp.requests.filter((q) => q.path.endsWith("/recurringruns") && q.query.page_token !== undefined).length).to.be.greaterThan(
            0,
        );
    });

    it("stops listing after 20 pages instead of walking an endless list", async () => {
        await register();
        kfp.maxPageSize = 1;
        for (let i = 0; i < 25; i++) kfp.recurringRuns.push({ ...kfp.recurringRuns[0], recurring_run_id: `copy-${i}` });
        const err = (await register().catch((e: Error) => e)) as Error;
        expect(err.message).to.equal(
            `KFP API at ${url}: /apis/v2beta1/recurringruns still has more pages after 20 pages (20 items); refusing to list further`,
        );
        expect(kfp.mutations().filter((m) => m.startsWith("DELETE"))).to.deep.equal([]);
    });

    it("unarchives an archived experiment (archiving stops its recurring runs)", async () => {
        const first = await register();
        kfp.experiments[0].storage_state = "ARCHIVED";
        await register();
        expect(kfp.mutations().slice(-1)).to.deep.equal([`POST /apis/v2beta1/experiments/${first.experimentId}:unarchive`]);
        expect(kfp.experiments[0].storage_state).to.equal("AVAILABLE");
    });

    it("a 409 from a concurrent registration is resolved by finding what the other one created", async () => {
        const other = await register();
        kfp.hiddenLists.add("PipelineService_ListPipelines"); // the other Job created it just after our lookup
        const before = kfp.requests.length;
        const r = await register();
        expect(r.pipelineId).to.equal(other.pipelineId);
        expect(
            kfp.requests
                .slice(before)
                .map((q) => q.operationId)
                .slice(0, 4),
        ).to.deep.equal([
            "HealthzService_GetHealthz",
            "PipelineService_ListPipelines",
            "PipelineService_CreatePipeline",
            "PipelineService_ListPipelines",
        ]);
        expect(kfp.pipelines).to.have.length(1);
    });

    it("retries while the API is down, then registers once it is up", async () => {
        await kfp.close();
        const port = await freePort();
        url = `http://127.0.0.1:${port}`;
        const log: string[] = [];
        const late = new KfpStandIn();
        const starting = new Promise<void>((resolve) => setTimeout(() => void late.listen(port).then(() => resolve()), 600));
        try {
            const r = await register(platformSettings(), log);
            await starting;
            expect(r.changes).to.have.length(4);
            expect(late.recurringRuns).to.have.length(1);
            expect(log.filter((l) => l.includes("not ready")).length).to.be.greaterThan(1);
            expect(log[0]).to.include(`KFP API at ${url} not ready (GET /apis/v2beta1/healthz`).and.include("ECONNREFUSED");
        } finally {
            await late.close();
        }
        kfp = new KfpStandIn(); // for afterEach
    });

    it("retries 503 and GET 500 but gives up at the deadline with a message naming KFP and the URL", async () => {
        for (let i = 0; i < 3; i++)
            kfp.failures.push({ operationId: "HealthzService_GetHealthz", status: 503, message: "upstream connect error" });
        const r = await register();
        expect(r.changes).to.have.length(4);

        const port = await freePort();
        const started = Date.now();
        const client = new KfpClient({ baseUrl: `http://127.0.0.1:${port}`, waitMs: 700, ...fast });
        const err = await registerPipeline({ settings: platformSettings(), client }).catch((e: Error) => e);
        expect(Date.now() - started).to.be.lessThan(3000);
        expect((err as Error).message).to.match(
            new RegExp(
                `^KFP API at http://127\\.0\\.0\\.1:${port} is not available: GET /apis/v2beta1/healthz failed \\d+ time\\(s\\) over 1 s \\(last: connect ECONNREFUSED`,
            ),
        );
        expect((err as Error).message).to.include("ml-pipeline");
    });

    it("does not retry a POST that may have been processed (500), and says so", async () => {
        kfp.failures.push({
            operationId: "RecurringRunService_CreateRecurringRun",
            status: 500,
            message: "Internal error: database is locked",
        });
        const err = await register().catch((e: Error) => e);
        expect((err as Error).message).to.equal(
            `KFP API at ${url} rejected POST /apis/v2beta1/recurringruns (500 Internal Server Error: Internal error: database is locked)`,
        );
        expect(kfp.requests.filter((q) => q.operationId === "RecurringRunService_CreateRecurringRun")).to.have.length(1);
    });

    it("reports a 4xx with the server's message, in either of KFP's error shapes", async () => {
        kfp.failures.push({
            operationId: "RecurringRunService_CreateRecurringRun",
            status: 400,
            message: "Invalid input error: Max concurrency of a recurring run must be at least 1",
        });
        let err = (await register().catch((e: Error) => e)) as Error;
        expect(err.message).to.equal(
            `KFP API at ${url} rejected POST /apis/v2beta1/recurringruns (400 Bad Request: Invalid input error: Max concurrency of a recurring run must be at least 1)`,
        );
        kfp.failures.push({ operationId: "UploadPipelineVersion", status: 400, message: "Failed to create a pipeline version" });
        kfp.versions.length = 0;
        err = (await register().catch((e: Error) => e)) as Error;
        expect(err.message).to.equal(
            `KFP API at ${url} rejected POST /apis/v2beta1/pipelines/upload_version (400 Bad Request: Failed to create a pipeline version)`,
        );
        expect(kfpErrorMessage("upstream request timeout")).to.equal("upstream request timeout");
        expect(kfpErrorMessage("")).to.equal("(empty body)");
    });

    it("the stand-in refuses what the real server refuses (unknown body fields, bad cron, wrong parameter types)", async () => {
        const r = await register();
        const client = new KfpClient({ baseUrl: url, waitMs: 1000, ...fast });
        const body = { ...kfp.recurringRuns[0] } as Record<string, unknown>;
        for (const k of ["recurring_run_id", "status", "created_at", "updated_at"]) delete body[k];
        const post = (b: unknown) => client.request("POST", "/apis/v2beta1/recurringruns", { json: b }).catch((e: Error) => e.message);
        expect(await post({ ...body, schedule: "daily" })).to.include("must NOT have additional properties 'schedule'");
        expect(await post({ ...body, trigger: { cron_schedule: { cron: "0 0 25 * * *" } } })).to.include(
            "End of range (25) above maximum (23)",
        );
        expect(await post({ ...body, runtime_config: { parameters: { training_hours: "24" } } })).to.include(
            "input parameter training_hours requires type NUMBER_INTEGER",
        );
        expect(await post({ ...body, runtime_config: { parameters: { hours: 24 } } })).to.include("not required by pipeline: hours");
        expect(await post({ ...body, max_concurrency: "0" })).to.include("Max concurrency");
        expect(await client.get("/apis/v2beta1/pipelines", { sort: "name" }).catch((e: Error) => e.message)).to.include(
            "unknown query parameter 'sort'",
        );
        expect(r.recurringRunId).to.be.a("string");
    });

    it("matchesDesired compares every field that the registration sets", () => {
        const want = {
            pipeline_version_reference: { pipeline_id: "p", pipeline_version_id: "v" },
            trigger: { cron_schedule: { cron: "0 0 2 * * *" } },
            max_concurrency: "1",
            no_catchup: true,
            service_account: "sa",
            experiment_id: "e",
            runtime_config: { parameters: { training_hours: 24 } },
        };
        expect(matchesDesired(want, want)).to.equal(true);
        const variants: Record<string, unknown>[] = [
            { pipeline_version_reference: { pipeline_id: "x", pipeline_version_id: "v" } },
            { pipeline_version_reference: { pipeline_id: "p", pipeline_version_id: "x" } },
            { trigger: { cron_schedule: { cron: "0 0 3 * * *" } } },
            { trigger: { cron_schedule: { cron: "0 0 2 * * *" }, periodic_schedule: { interval_second: "60" } } },
            { max_concurrency: "2" },
            { no_catchup: false },
            { service_account: "other" },
            { experiment_id: "x" },
            { runtime_config: { parameters: { training_hours: 48 } } },
            { runtime_config: { parameters: { training_hours: 24, extra: 1 } } },
            { runtime_config: { parameters: { training_hours: 24 }, pipeline_root: "s3://elsewhere" } },
        ];
        for (const v of variants) expect(matchesDesired({ ...want, ...v }, want), JSON.stringify(v)).to.equal(false);
        expect(matchesDesired({ ...want, no_catchup: undefined }, { ...want, no_catchup: false })).to.equal(true);
    });

    it("runs as `detector pipeline register` with settings from env and prints a JSON summary", async () => {
        const out: string[] = [];
        const err: string[] = [];
        const env = { ...platformEnv(), KFP_API_URL: url, KFP_WAIT_SECONDS: "5" };
        const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env };
        expect(await main(["pipeline", "register"], io)).to.equal(0);
        const summary = JSON.parse(out.join("")) as RegisterResult;
        expect(summary.recurringRunId).to.equal(kfp.recurringRuns[0].recurring_run_id);
        expect(err.join("")).to.include("changed: created pipeline aiops-detector-training");
        out.length = 0;
        err.length = 0;
        expect(await main(["pipeline", "register", "--kfp", url], io)).to.equal(0);
        expect(err.join("")).to.include("nothing to change");
        // Bad settings: exit 1 with every problem named.
        expect(
            await main(["pipeline", "register"], { ...io, env: { ...env, PROMETHEUS_URL: undefined, TRAINING_SCHEDULE: "0 25 * * *" } }),
        ).to.equal(1);
        expect(err.join("")).to.include("PROMETHEUS_URL is required").and.include("hour 25 is out of range 0-23");
        // Bad command line: exit 2 with the usage.
        expect(await main(["pipeline", "register"], { ...io, env: { ...env, KFP_API_URL: undefined } })).to.equal(2);
        expect(err.join("")).to.include("--kfp URL (or KFP_API_URL) is required");
        expect(await main(["pipeline", "register", "--wait", "soon"], io)).to.equal(2);
        expect(await main(["pipeline", "launch"], io)).to.equal(2);
        expect(await main(["pipeline", "register", "--kfp", "ml-pipeline:8888"], io)).to.equal(1);
        expect(err.join("")).to.include("KFP API URL 'ml-pipeline:8888' must be http:// or https://");
    });
});
