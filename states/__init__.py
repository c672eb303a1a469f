"""Pure domain of 政府信息公开 (依申请公开): what the law says, with no I/O."""
