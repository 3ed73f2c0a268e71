"""The measuring package: what parbench needs to measure honestly, apart from asv's suite.

``measuring.machine``: the hardware facts of this machine and the asv machine name
made from them, so two CPUs never share a results folder.
"""
