import { readFileSync } from "node:fs";
import { computeSortedFeatureColumns } from "./src/features";
import { scoreSamples } from "./src/iforest";
const model = JSON.parse(readFileSync("/tmp/benchmodel/node-cpu.json","utf8"));
const n=360;
const ts = new Float64Array(n), vs = new Float64Array(n);
for (let i=0;i<n;i++){ts[i]=1.8e9+i*10; vs[i]=35+4*Math.sin(i*7.3);}
const cols = computeSortedFeatureColumns(ts, vs, model.featureSet, model.featureParams)!;
const d = cols.length; const x = new Float32Array(n*d); for (let j=0;j<d;j++) for (let i=0;i<n;i++) x[i*d+j]=cols[j][i];
const forest = { trees: model.trees, maxSamplesUsed: model.maxSamplesUsed, nFeatures: d };
const a = scoreSamples(forest, x, n, "js"), b = scoreSamples(forest, x, n);
for (let i=0;i<n;i++) if (a[i]!==b[i]) throw new Error("differs at "+i);
function time(label: string, f: () => unknown) { for (let i=0;i<500;i++) f(); const t=[]; for (let i=0;i<3000;i++){const t0=performance.now(); f(); t.push(performance.now()-t0);} t.sort((a,b)=>a-b); console.log(label, t[1500].toFixed(3), t[2970].toFixed(3)); }
time("wasm", () => scoreSamples(forest, x, n)); time("wasm", () => scoreSamples(forest, x, n));
