"""placeholder"""
ONLINE_STEPS = {}


def cmd_follow(args):
    raise NotImplementedError
