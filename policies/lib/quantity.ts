// One quantity parser for the program and the pack.
export { parseQuantity } from "../../components/shared/quantity";
