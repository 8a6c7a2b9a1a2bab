// IAM documents of the VPC flow-log role: pure, so their scoping can be asserted.

/**
 * Trust policy for the flow-log delivery role. The conditions stop the confused-deputy problem: only
 * flow logs of this account may assume the role, not another account's flow logs pointed at its ARN
 * (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
 */
export function flowLogsTrustPolicy(accountId: string) {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": accountId },
                    ArnLike: { "aws:SourceArn": `arn:*:ec2:*:${accountId}:vpc-flow-log/*` },
                },
            },
        ],
    };
}

/** What the role may do: write streams and events into this one log group. */
export function flowLogsWritePolicy<T>(logStreamsArn: T) {
    return {
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: logStreamsArn },
        ],
    };
}
